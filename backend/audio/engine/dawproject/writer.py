"""Writing a ``.dawproject``: a zip of ``project.xml``, ``metadata.xml`` and the audio it uses.

The arrangement is written in seconds (``timeUnit="seconds"``), like Cadenza's document, so no
tempo map is needed to place a clip. Each clip holds its ``Audio`` file reference directly,
``playStart`` being the clip's offset into the file. Audio files are stored once under
``audio/<asset id>.<ext>`` however many clips use them.

What DAWproject 1.0 cannot say — clip gain, the ids of tracks, clips and effects, the mastering
preset — goes into ``cadenza.json`` beside it, which other applications ignore.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from pedalboard.io import AudioFile

from backend.audio.engine.atomic import atomic_path
from backend.audio.engine.dawproject import mapping
from backend.audio.engine.dawproject.schema import validate
from backend.audio.engine.document import Effect, Project, parse_project
from backend.audio.engine.effects import EFFECTS
from backend.audio.engine.errors import EngineError

APPLICATION = "Cadenza"
APPLICATION_VERSION = "1.0"
FORMAT_VERSION = "1.0"
EXTRAS = "cadenza.json"


def _num(value: float) -> str:
    return repr(float(value))


class _Ids:
    """Unique ``xs:ID`` values: ours are not always valid XML names, so the XML gets its own."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, kind: str) -> str:
        self.n += 1
        return f"{kind}{self.n}"


def _real(parent: ET.Element, tag: str, ids: _Ids, unit: str, value: float, **extra: Any) -> ET.Element:
    attrs = {"id": ids("p"), "unit": unit, "value": _num(value)}
    attrs.update({k: (_num(v) if isinstance(v, float) else str(v)) for k, v in extra.items()})
    return ET.SubElement(parent, tag, attrs)


def _device(parent: ET.Element, effect: Effect, ids: _Ids) -> None:
    spec = EFFECTS[effect.type]
    common = {
        "id": ids("d"),
        "name": effect.type,
        "deviceID": mapping.DEVICE_PREFIX + effect.type,
        "deviceName": effect.type.replace("_", " ").title(),
        "deviceRole": "audioFX",
        "deviceVendor": mapping.VENDOR,
    }
    if effect.type in mapping.TYPED_DEVICES:
        tag = mapping.TYPED_DEVICES[effect.type][0]
    elif effect.type in mapping.EQ_BANDS:
        tag = "Equalizer"
    else:
        tag = "BuiltinDevice"
    device = ET.SubElement(parent, tag, common)
    # device's own sequence: Parameters, Enabled, State; then the typed device's children.
    params = ET.SubElement(device, "Parameters")
    for p in spec.params:
        value = effect.params[p.name]
        if p.choices:
            ET.SubElement(
                params,
                "EnumParameter",
                {
                    "id": ids("p"),
                    "name": p.name,
                    "count": str(len(p.choices)),
                    "labels": " ".join(p.choices),
                    "value": str(p.choices.index(value)),
                },
            )
        else:
            unit, theirs = mapping.to_theirs(effect.type, p.name, value)
            lo = mapping.to_theirs(effect.type, p.name, p.min)[1]
            hi = mapping.to_theirs(effect.type, p.name, p.max)[1]
            _real(params, "RealParameter", ids, unit, theirs, name=p.name, min=lo, max=hi)
    ET.SubElement(device, "Enabled", {"id": ids("p"), "value": "false" if effect.bypass else "true"})
    if tag in mapping.TYPED_ORDER:
        children = mapping.TYPED_DEVICES[effect.type][1]
        for child in mapping.TYPED_ORDER[tag]:
            ours = children.get(child)
            if ours is not None:
                unit, theirs = mapping.to_theirs(effect.type, ours, effect.params[ours])
                _real(device, child, ids, unit, theirs)
    elif tag == "Equalizer":
        band = ET.SubElement(device, "Band", {"type": mapping.EQ_BANDS[effect.type]})
        _real(band, "Freq", ids, "hertz", effect.params["cutoff_hz"])
        if "gain_db" in effect.params:
            _real(band, "Gain", ids, "decibel", effect.params["gain_db"])
        if "q" in effect.params:
            _real(band, "Q", ids, "linear", effect.params["q"])


def _channel(
    parent: ET.Element,
    ids: _Ids,
    *,
    role: str,
    name: str,
    gain_db: float,
    pan: float | None,
    mute: bool | None,
    solo: bool | None,
    effects: tuple[Effect, ...],
    destination: str | None,
    channel_id: str,
) -> ET.Element:
    attrs = {"id": channel_id, "name": name, "role": role, "audioChannels": "2"}
    if solo is not None:
        attrs["solo"] = "true" if solo else "false"
    if destination:
        attrs["destination"] = destination
    channel = ET.SubElement(parent, "Channel", attrs)
    devices = ET.SubElement(channel, "Devices")
    for effect in effects:
        _device(devices, effect, ids)
    if mute is not None:
        ET.SubElement(channel, "Mute", {"id": ids("p"), "name": "Mute", "value": "true" if mute else "false"})
    if pan is not None:
        _real(channel, "Pan", ids, "normalized", mapping.pan_to_normalized(pan), name="Pan", min=0.0, max=1.0)
    _real(
        channel,
        "Volume",
        ids,
        "linear",
        mapping.volume_to_linear(gain_db),
        name="Volume",
        min=mapping.volume_to_linear(mapping.GAIN_MIN_DB),
        max=mapping.volume_to_linear(mapping.GAIN_MAX_DB),
    )
    return channel


def _audio_info(path: Path) -> tuple[int, int, float]:
    try:
        with AudioFile(str(path)) as f:
            return f.num_channels, int(f.samplerate), f.frames / f.samplerate
    except Exception:
        raise EngineError("audio.errors.source_unreadable", field=None, asset=path.name) from None


def _archive_name(asset_id: str, path: Path) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", asset_id) or "audio"
    return f"audio/{safe}{path.suffix.lower()}"


def build_project_xml(project: Project, media: dict[str, tuple[str, int, int, float]]) -> bytes:
    """``project.xml`` for ``project``; ``media`` maps asset id → (archive path, channels, rate, seconds)."""
    ids = _Ids()
    root = ET.Element("Project", {"version": FORMAT_VERSION})
    ET.SubElement(root, "Application", {"name": APPLICATION, "version": APPLICATION_VERSION})
    transport = ET.SubElement(root, "Transport")
    _real(transport, "Tempo", ids, "bpm", project.tempo, name="Tempo", min=20.0, max=999.0)
    ET.SubElement(
        transport,
        "TimeSignature",
        {
            "id": ids("p"),
            "name": "TimeSignature",
            "numerator": str(project.time_signature[0]),
            "denominator": str(project.time_signature[1]),
        },
    )
    structure = ET.SubElement(root, "Structure")
    master_id = ids("master")
    track_ids = []
    for track in project.tracks:
        track_id = ids("track")
        track_ids.append(track_id)
        attrs = {"id": track_id, "name": track.name, "contentType": "audio", "loaded": "true"}
        if track.color:
            attrs["color"] = track.color
        element = ET.SubElement(structure, "Track", attrs)
        _channel(
            element,
            ids,
            role="regular",
            name=track.name,
            gain_db=track.gain_db,
            pan=track.pan,
            mute=track.mute,
            solo=track.solo,
            effects=track.effects,
            destination=master_id,
            channel_id=ids("channel"),
        )
    _channel(
        structure,
        ids,
        role="master",
        name="Master",
        gain_db=project.master.gain_db,
        pan=None,
        mute=None,
        solo=None,
        effects=project.master.effects,
        destination=None,
        channel_id=master_id,
    )
    arrangement = ET.SubElement(root, "Arrangement", {"id": ids("arrangement")})
    lanes = ET.SubElement(arrangement, "Lanes", {"id": ids("lanes"), "timeUnit": "seconds"})
    for track, track_id in zip(project.tracks, track_ids, strict=True):
        track_lanes = ET.SubElement(lanes, "Lanes", {"id": ids("lanes"), "track": track_id})
        clips = ET.SubElement(track_lanes, "Clips", {"id": ids("clips")})
        for clip in track.clips:
            arc, channels, rate, seconds = media[clip.asset_id]
            element = ET.SubElement(
                clips,
                "Clip",
                {
                    "time": _num(clip.start),
                    "duration": _num(clip.length),
                    "contentTimeUnit": "seconds",
                    "playStart": _num(clip.offset),
                    "playStop": _num(clip.offset + clip.length),
                    "fadeTimeUnit": "seconds",
                    "fadeInTime": _num(clip.fade_in),
                    "fadeOutTime": _num(clip.fade_out),
                },
            )
            audio = ET.SubElement(
                element,
                "Audio",
                {
                    "id": ids("audio"),
                    "name": clip.asset_id,
                    "timeUnit": "seconds",
                    "channels": str(channels),
                    "sampleRate": str(rate),
                    "duration": _num(seconds),
                },
            )
            ET.SubElement(audio, "File", {"path": arc})
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def build_metadata_xml(title: str, artist: str) -> bytes:
    root = ET.Element("MetaData")
    if title:
        ET.SubElement(root, "Title").text = title
    if artist:
        ET.SubElement(root, "Artist").text = artist
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _extras(project: Project) -> dict[str, Any]:
    return {
        "format": "cadenza-dawproject-extras",
        "version": 1,
        "title": project.title,
        "sample_rate": project.sample_rate,
        "master": {
            "mastering": project.master.mastering,
            "effect_ids": [e.id for e in project.master.effects],
        },
        "tracks": [
            {
                "id": t.id,
                "name": t.name,
                "effect_ids": [e.id for e in t.effects],
                "clips": [{"id": c.id, "gain_db": c.gain_db} for c in t.clips],
            }
            for t in project.tracks
        ],
    }


def write_dawproject(
    document: dict[str, Any],
    sources: dict[str, Any],
    out_path: Any,
    *,
    title: str = "",
    artist: str = "",
    progress: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    """Write the archive atomically; returns its path and size."""
    project = parse_project(document)
    out_path = Path(out_path)
    used = sorted({c.asset_id for t in project.tracks for c in t.clips})
    media: dict[str, tuple[str, int, int, float]] = {}
    for asset_id in used:
        if asset_id not in sources:
            raise EngineError("audio.errors.missing_source", field=None, asset=asset_id)
        path = Path(sources[asset_id])
        channels, rate, seconds = _audio_info(path)
        media[asset_id] = (_archive_name(asset_id, path), channels, rate, seconds)
    project_xml = build_project_xml(project, media)
    metadata_xml = build_metadata_xml(title or project.title, artist)
    validate(project_xml, metadata_xml)
    with atomic_path(out_path) as tmp, zipfile.ZipFile(tmp, "w") as archive:
        archive.writestr("project.xml", project_xml, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("metadata.xml", metadata_xml, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(EXTRAS, json.dumps(_extras(project), indent=1), compress_type=zipfile.ZIP_DEFLATED)
        for i, asset_id in enumerate(used):
            # Encoded audio does not deflate: store it.
            archive.write(sources[asset_id], media[asset_id][0], compress_type=zipfile.ZIP_STORED)
            if progress is not None:
                progress((i + 1) / len(used))
    return {"path": str(out_path), "size": out_path.stat().st_size, "sample_rate": None, "bit_depth": None}
