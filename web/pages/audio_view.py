"""Drawing helpers for the studio pages: waveform paths, the timeline, meters and form choices.

Pure functions from the data a page operation returned to what a template draws; no requests here.
(This module lives beside ``audio.py`` so the studio's page code stays in one place; it serves no
routes.)
"""

from __future__ import annotations

import math
from typing import Any

from backend.core.i18n import format_number, t

route_handlers: list[Any] = []

TIMELINE_WIDTH = 960.0
LANE_HEIGHT = 44.0
RULER_HEIGHT = 22.0
LUFS_TARGET = -14.0
TRUE_PEAK_CEILING = -1.0
EXPORT_FORMATS = ("wav", "flac", "mp3", "ogg", "stems", "dawproject")
EXPORT_RATES = (44100, 48000, 88200, 96000)
EXPORT_DEPTHS = (16, 24, 32)
FEATURE_OF = {"flac": "export_flac", "stems": "export_stems", "dawproject": "export_dawproject"}


def wave_path(
    points: list[dict[str, float]] | None, width: float, height: float, x0: float = 0.0, y0: float = 0.0
) -> str:
    """An SVG path of vertical min→max strokes, one per point (a classic waveform overview)."""
    if not points:
        return ""
    step = width / len(points)
    middle = y0 + height / 2
    half = height / 2
    parts = []
    for i, point in enumerate(points):
        x = x0 + (i + 0.5) * step
        top = middle - max(0.0, min(1.0, point["max"])) * half
        bottom = middle - max(-1.0, min(0.0, point["min"])) * half
        if bottom - top < 0.6:
            top, bottom = middle - 0.3, middle + 0.3
        parts.append(f"M{x:.1f} {top:.1f}V{bottom:.1f}")
    return "".join(parts)


def _slice(
    points: list[dict[str, float]], duration: float, offset: float, length: float
) -> list[dict[str, float]]:
    if not points or duration <= 0:
        return []
    n = len(points)
    first = max(0, min(n - 1, int(offset / duration * n)))
    last = max(first + 1, min(n, int(math.ceil((offset + length) / duration * n))))
    return points[first:last]


def _fold(points: list[dict[str, float]], limit: int) -> list[dict[str, float]]:
    if len(points) <= limit:
        return points
    out = []
    for i in range(limit):
        chunk = points[
            i * len(points) // limit : max((i + 1) * len(points) // limit, i * len(points) // limit + 1)
        ]
        out.append({"min": min(p["min"] for p in chunk), "max": max(p["max"] for p in chunk)})
    return out


def _ticks(seconds: float, scale: float) -> list[dict[str, Any]]:
    """Ruler marks every 1, 2, 5, 10, 30 or 60 s, whichever keeps them about 60 px apart."""
    step = next((s for s in (1, 2, 5, 10, 30, 60, 120, 300) if s * scale >= 60), 600)
    return [
        {"x": round(s * scale, 1), "label": t("audio.studio.seconds", value=format_number(s))}
        for s in range(0, int(seconds) + 1, step)
    ]


def timeline(project: dict[str, Any]) -> dict[str, Any]:
    seconds = max(8.0, float(project["duration"]) * 1.1)
    scale = TIMELINE_WIDTH / seconds
    lanes = []
    for index, track in enumerate(project["tracks"]):
        y = RULER_HEIGHT + index * LANE_HEIGHT
        clips = []
        for clip in track["clips"]:
            x, w = clip["start"] * scale, max(2.0, clip["length"] * scale)
            asset = clip["asset"]
            points = (
                _slice(asset["waveform"], asset["duration"] or 0.0, clip["offset"], clip["length"])
                if asset
                else []
            )
            clips.append(
                {
                    "id": clip["id"],
                    "x": round(x, 1),
                    "y": y + 3,
                    "w": round(w, 1),
                    "h": LANE_HEIGHT - 6,
                    "name": asset["name"] if asset else t("audio.studio.missing_asset"),
                    "path": wave_path(_fold(points, max(4, int(w / 2))), w, LANE_HEIGHT - 10, x, y + 5),
                }
            )
        lanes.append({"track": track, "y": y, "clips": clips, "muted": track["mute"]})
    return {
        "width": TIMELINE_WIDTH,
        "height": RULER_HEIGHT + max(1, len(lanes)) * LANE_HEIGHT,
        "ticks": _ticks(seconds, scale),
        "lanes": lanes,
    }


def _step(spec: dict[str, Any]) -> float:
    span = (spec["max"] or 1) - (spec["min"] or 0)
    if spec["unit"] in ("bits", "semitones"):
        return 1
    return float(f"{span / 200:.2g}") if span else 0.01


def effect_rows(effects: list[dict[str, Any]], menu: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for effect in effects:
        spec = menu.get(effect["type"])
        params = []
        for p in spec["params"] if spec else []:
            value = effect["params"].get(p["name"], p["default"])
            params.append({**p, "value": value, "step": _step(p) if not p["choices"] else None})
        rows.append({**effect, "label": spec["label"] if spec else effect["type"], "controls": params})
    return rows


def _meter(value: float | None, low: float, high: float, mark: float) -> dict[str, Any] | None:
    if value is None:
        return None
    clamp = max(low, min(high, value))
    return {
        "value": value,
        "text": format_number(round(value, 1)),
        "fraction": (clamp - low) / (high - low),
        "mark": (mark - low) / (high - low),
        "over": value > mark + 1.0 if mark == LUFS_TARGET else value > mark,
    }


def render_view(
    render: dict[str, Any] | None, revision: int, tracks: list[dict[str, Any]]
) -> dict[str, Any] | None:
    if render is None:
        return None
    metrics = render.get("metrics") or {}
    # {track id: peak dBFS}, when the engine reports it; tracks that shared a reverb are metered
    # before it (see backend/audio/engine/sends.py).
    peaks = metrics.get("track_peaks_dbfs") or metrics.get("track_peaks") or {}
    before_reverb = set(metrics.get("peaks_before_reverb") or ())
    names = {tr["id"]: (tr["name"], tr["color"]) for tr in tracks}
    bars = []
    if isinstance(peaks, dict):
        for track_id, value in peaks.items():
            if track_id in names and isinstance(value, (int, float)) and math.isfinite(value):
                name, color = names[track_id]
                bars.append(
                    {
                        "name": name,
                        "color": color,
                        "meter": _meter(float(value), -60.0, 0.0, TRUE_PEAK_CEILING),
                        "before_reverb": track_id in before_reverb,
                    }
                )
    return {
        **render,
        "active": render["status"] in ("QUEUED", "RUNNING"),
        "current": render["revision"] == revision,
        "lufs": _meter(render["loudness"], -40.0, 0.0, LUFS_TARGET),
        "true_peak": _meter(render["truePeak"], -24.0, 3.0, TRUE_PEAK_CEILING),
        "track_peaks": bars,
        "shared_reverb": any(bar["before_reverb"] for bar in bars),
    }


def export_choices(options: dict[str, Any]) -> dict[str, Any]:
    formats = [
        {"value": f, "label": t(f"audio.export.formats.{f}"), "allowed": f.upper() in options["formats"]}
        for f in EXPORT_FORMATS
    ]
    rates = [
        {
            "value": r,
            "label": t("audio.projects.khz", value=format_number(r / 1000)),
            "allowed": r in options["sampleRates"],
        }
        for r in EXPORT_RATES
    ]
    depths = [
        {"value": d, "label": t(f"audio.export.depth_{d}"), "allowed": d in options["bitDepths"]}
        for d in EXPORT_DEPTHS
    ]
    return {"plan": options["plan"], "formats": formats, "rates": rates, "depths": depths}


def studio_view(data: dict[str, Any]) -> dict[str, Any]:
    """Everything the studio template draws, from the StudioPage (or StudioRenderPanel) result."""
    project = data["project"]
    renders = project.get("renders") or []
    view: dict[str, Any] = {
        "project": project,
        "render": render_view(
            renders[0] if renders else None, project["revision"], project.get("tracks", [])
        ),
    }
    if data.get("panel_only"):
        return view
    menu = {e["type"]: e for e in data["effectTypes"]}
    tracks = [{**track, "effect_rows": effect_rows(track["effects"], menu)} for track in project["tracks"]]
    view.update(
        {
            "tracks": tracks,
            "master_effects": effect_rows(project["master"]["effects"], menu),
            "timeline": timeline(project),
            "effect_menu": data["effectTypes"],
            "assets": data["assets"]["nodes"],
            "exports": [{**e, "active": e["status"] in ("QUEUED", "RUNNING")} for e in project["exports"]],
            "exports_active": any(e["status"] in ("QUEUED", "RUNNING") for e in project["exports"]),
            "choices": export_choices(project["exportOptions"]),
            "can_add": len(project["tracks"]) < project["trackLimit"],
        }
    )
    return view


def storage_meter(usage: dict[str, float]) -> dict[str, Any]:
    used, limit = usage["usedBytes"], usage["limitBytes"]
    return {
        "used": _bytes(used),
        "limit": _bytes(limit),
        "fraction": min(1.0, used / limit) if limit > 0 else 0.0,
    }


def _bytes(value: float) -> str:
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if value >= size:
            return f"{format_number(round(value / size, 1))} {unit}"
    return f"{format_number(value)} B"
