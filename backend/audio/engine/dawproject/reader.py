"""Reading a ``.dawproject`` into a Cadenza document and the audio files it holds.

The archive is untrusted: members are size-checked before extraction, paths are never joined
blindly (only files the project references are extracted, under generated names), a DOCTYPE is
refused (no entity tricks) and external file references are skipped. The audio files that come
out must still be ingested like any upload: this module does not decode them.

Cadenza's own exports come back exactly (with ``cadenza.json``: ids, clip gain, mastering). From
other applications, what DAWproject states is taken: audio tracks (folder tracks are flattened),
volume, pan, mute, solo, audio clips with position, offset and fades (beats converted with the
project tempo), and the built-in compressor, limiter, gate and EQ devices; plug-ins are skipped.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
import zipfile
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree as ET

from backend.audio.engine.dawproject import mapping
from backend.audio.engine.dawproject.writer import EXTRAS
from backend.audio.engine.document import SAMPLE_RATES, parse_project, project_to_document
from backend.audio.engine.effects import EFFECTS, validate_effect
from backend.audio.engine.errors import EngineError
from backend.core.ids import new_id

MAX_MEMBERS = 10_000
MAX_XML_BYTES = 64 * 1024 * 1024
MAX_MEMBER_BYTES = 2 * 1024 * 1024 * 1024
MAX_TOTAL_BYTES = 16 * 1024 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed: beyond this a member is a zip bomb, not audio


def _invalid(detail: str) -> EngineError:
    return EngineError("audio.errors.dawproject_invalid", field=None, detail=detail)


def _float(element: ET.Element | None, attr: str = "value", default: float | None = None) -> float | None:
    if element is None or element.get(attr) is None:
        return default
    try:
        value = float(element.get(attr, ""))
    except ValueError:
        return default
    return value if math.isfinite(value) else default


def _bool(element: ET.Element | None, attr: str = "value") -> bool:
    return element is not None and element.get(attr, "false").strip().lower() == "true"


class _Clock:
    """Beats to seconds with the project's (constant) tempo; tempo automation is not followed."""

    def __init__(self, tempo: float) -> None:
        self.tempo = tempo

    def seconds(self, value: float, unit: str) -> float:
        return value if unit == "seconds" else value * 60.0 / self.tempo


def _effect_from_device(device: ET.Element) -> dict[str, Any] | None:
    device_id = device.get("deviceID") or ""
    params: dict[str, Any] = {}
    effect_type: str | None = None
    if device_id.startswith(mapping.DEVICE_PREFIX) and device_id[len(mapping.DEVICE_PREFIX) :] in EFFECTS:
        effect_type = device_id[len(mapping.DEVICE_PREFIX) :]
        spec = EFFECTS[effect_type]
        holder = device.find("Parameters")
        for element in list(holder) if holder is not None else []:
            name = element.get("name") or ""
            p = spec.param(name)
            if p is None:
                continue
            if element.tag == "EnumParameter" and p.choices:
                index = int(_float(element, default=0) or 0)
                if 0 <= index < len(p.choices):
                    params[name] = p.choices[index]
            elif element.tag == "RealParameter":
                value = _float(element)
                if value is not None:
                    ours = mapping.to_ours(effect_type, name, value, element.get("unit"))
                    if ours is not None:
                        params[name] = ours
    else:
        # Another application's built-in device, where the meaning is the same as one of ours.
        typed = {tag: (ours, children) for ours, (tag, children) in mapping.TYPED_DEVICES.items()}
        if device.tag in typed:
            effect_type, children = typed[device.tag]
            for child, ours_name in children.items():
                found = device.find(child)
                value = _float(found)
                if found is not None and value is not None:
                    converted = mapping.to_ours(effect_type, ours_name, value, found.get("unit"))
                    if converted is not None:
                        params[ours_name] = converted
        elif device.tag == "Equalizer":
            band = device.find("Band")
            bands = {theirs: ours for ours, theirs in mapping.EQ_BANDS.items()}
            if band is None or band.get("type") not in bands:
                return None
            effect_type = bands[band.get("type", "")]
            for child, name in (("Freq", "cutoff_hz"), ("Gain", "gain_db"), ("Q", "q")):
                value = _float(band.find(child))
                if value is not None and EFFECTS[effect_type].param(name) is not None:
                    params[name] = value
        else:
            return None  # a plug-in, or a device we have no equivalent for
    try:
        checked = validate_effect(effect_type, mapping.clamp_params(effect_type, params))
    except EngineError:
        return None
    return {"id": new_id("fx"), "type": effect_type, "params": checked, "bypass": not _enabled(device)}


def _enabled(device: ET.Element) -> bool:
    enabled = device.find("Enabled")
    return enabled is None or _bool(enabled)


def _channel_values(channel: ET.Element | None) -> dict[str, Any]:
    if channel is None:
        return {"gain_db": 0.0, "pan": 0.0, "mute": False, "solo": False, "effects": []}
    volume = channel.find("Volume")
    value = _float(volume, default=1.0)
    assert value is not None
    if volume is not None and volume.get("unit") == "decibel":
        gain_db = min(mapping.GAIN_MAX_DB, max(mapping.GAIN_MIN_DB, value))
    else:
        gain_db = mapping.linear_to_volume(value)
    pan_el = channel.find("Pan")
    pan_value = _float(pan_el, default=None)
    if pan_value is None:
        pan = 0.0
    elif pan_el is not None and pan_el.get("unit") == "normalized":
        pan = mapping.normalized_to_pan(pan_value)
    else:
        pan = min(1.0, max(-1.0, pan_value))
    devices = channel.find("Devices")
    effects = []
    for device in list(devices) if devices is not None else []:
        effect = _effect_from_device(device)
        if effect is not None:
            effects.append(effect)
    return {
        "gain_db": round(gain_db, 6),
        "pan": round(pan, 6),
        "mute": _bool(channel.find("Mute")),
        "solo": channel.get("solo", "false").lower() == "true",
        "effects": effects[:16],
    }


def _audio_tracks(structure: ET.Element) -> list[ET.Element]:
    """Tracks that can hold audio, folder tracks flattened, in order."""
    found = []
    for track in structure.findall("Track"):
        kinds = (track.get("contentType") or "").split()
        if "audio" in kinds or not kinds:
            found.append(track)
        found.extend(_audio_tracks(track))
    return found


def _time_unit(element: ET.Element, inherited: str) -> str:
    unit = element.get("timeUnit")
    return unit if unit in ("beats", "seconds") else inherited


def _collect_clips(element: ET.Element, unit: str, track: str | None, out: dict[str, list]) -> None:
    """Walk the arrangement's lanes; ``out[track id]`` gets (clip element, time unit) pairs."""
    unit = _time_unit(element, unit)
    track = element.get("track") or track
    for child in element:
        if child.tag == "Clips":
            clips_unit = _time_unit(child, unit)
            for clip in child.findall("Clip"):
                if track is not None:
                    out.setdefault(track, []).append((clip, clips_unit))
        elif child.tag == "Lanes":
            _collect_clips(child, unit, track, out)


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


def read_dawproject(path: Path, extract_dir: Path | None = None) -> tuple[dict[str, Any], dict[str, Path]]:
    """The document and {asset key: extracted audio file} of a ``.dawproject`` archive."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile):
        raise _invalid("not a zip archive") from None
    with archive:
        members = {info.filename: info for info in archive.infolist()}
        if len(members) > MAX_MEMBERS:
            raise _invalid("too many files")
        total = 0
        for info in members.values():
            total += info.file_size
            if info.file_size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES:
                raise EngineError("audio.errors.dawproject_too_large", field=None)
            if (
                info.compress_size
                and info.file_size / info.compress_size > MAX_RATIO
                and info.file_size > 1 << 20
            ):
                raise EngineError("audio.errors.dawproject_too_large", field=None)
        if "project.xml" not in members:
            raise _invalid("no project.xml")
        if members["project.xml"].file_size > MAX_XML_BYTES:
            raise EngineError("audio.errors.dawproject_too_large", field=None)
        data = archive.read("project.xml")
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise _invalid("DOCTYPE declarations are not accepted")
        try:
            # DOCTYPE refused above, so no entity can expand; expat does not fetch external ones.
            root = ET.fromstring(data)  # noqa: S314
        except ET.ParseError:
            raise _invalid("project.xml is not well-formed XML") from None
        if root.tag != "Project":
            raise _invalid("the root element is not Project")
        extras = _read_extras(archive, members)
        title = _read_title(archive, members)

        transport = root.find("Transport")
        tempo = _float(transport.find("Tempo") if transport is not None else None, default=120.0) or 120.0
        tempo = min(999.0, max(20.0, tempo))
        signature = transport.find("TimeSignature") if transport is not None else None
        numerator = int(_float(signature, "numerator", 4) or 4)
        denominator = int(_float(signature, "denominator", 4) or 4)
        if not 1 <= numerator <= 32 or denominator not in (1, 2, 4, 8, 16, 32):
            numerator, denominator = 4, 4
        clock = _Clock(tempo)

        structure = root.find("Structure")
        xml_tracks = _audio_tracks(structure) if structure is not None else []
        master_channel = None
        if structure is not None:
            master_channel = next(
                (c for c in structure.findall("Channel") if c.get("role") == "master"), None
            )
        clips_by_track: dict[str, list] = {}
        arrangement = root.find("Arrangement")
        if arrangement is not None:
            _collect_clips(arrangement, "beats", None, clips_by_track)

        out_dir = (
            Path(extract_dir) if extract_dir is not None else Path(tempfile.mkdtemp(prefix="dawproject-"))
        )
        out_dir.mkdir(parents=True, exist_ok=True)
        files: dict[str, Path] = {}
        key_by_member: dict[str, str] = {}
        rates: Counter[int] = Counter()

        def asset_for(audio: ET.Element) -> str | None:
            ref = audio.find("File")
            if ref is None or _bool(ref, "external"):
                return None  # files outside the archive are never followed
            member = ref.get("path", "")
            if not _safe_member(member) or member not in members:
                return None
            if member not in key_by_member:
                key = _asset_key(audio.get("name"), member, set(files))
                target = out_dir / f"{len(files):04d}{PurePosixPath(member).suffix.lower()[:6]}"
                with archive.open(member) as src, open(target, "wb") as dst:
                    _copy_limited(src, dst, members[member].file_size)
                files[key] = target
                key_by_member[member] = key
            rate = int(_float(audio, "sampleRate", 0) or 0)
            if rate:
                rates[rate] += 1
            return key_by_member[member]

        tracks = []
        for index, element in enumerate(xml_tracks[:64]):
            values = _channel_values(element.find("Channel"))
            clips = []
            for clip, unit in clips_by_track.get(element.get("id") or "", []):
                audio = clip.find(".//Audio")
                if audio is None:
                    continue  # a note clip or empty
                asset = asset_for(audio)
                if asset is None:
                    continue
                content_unit = clip.get("contentTimeUnit") or unit
                fade_unit = clip.get("fadeTimeUnit") or unit
                start = clock.seconds(_float(clip, "time", 0.0) or 0.0, unit)
                length = clock.seconds(_float(clip, "duration", 0.0) or 0.0, unit)
                if length <= 0:
                    continue
                fade_in = clock.seconds(_float(clip, "fadeInTime", 0.0) or 0.0, fade_unit)
                fade_out = clock.seconds(_float(clip, "fadeOutTime", 0.0) or 0.0, fade_unit)
                if fade_in + fade_out > length:
                    fade_in, fade_out = 0.0, 0.0
                clips.append(
                    {
                        "id": new_id("clp"),
                        "asset_id": asset,
                        "start": max(0.0, start),
                        "offset": max(
                            0.0, clock.seconds(_float(clip, "playStart", 0.0) or 0.0, content_unit)
                        ),
                        "length": length,
                        "gain_db": 0.0,
                        "fade_in": max(0.0, fade_in),
                        "fade_out": max(0.0, fade_out),
                    }
                )
            color = element.get("color")
            tracks.append(
                {
                    "id": new_id("trk"),
                    "name": (element.get("name") or f"Track {index + 1}")[:100],
                    "color": color if color and re.fullmatch(r"#[0-9a-fA-F]{6}", color) else None,
                    **values,
                    "clips": clips[:2000],
                }
            )
        master_values = _channel_values(master_channel)
        rate = rates.most_common(1)[0][0] if rates else 48000
        document = {
            "title": title,
            "tempo": tempo,
            "time_signature": [numerator, denominator],
            "sample_rate": rate if rate in SAMPLE_RATES else 48000,
            "tracks": tracks,
            "master": {
                "gain_db": master_values["gain_db"],
                "effects": master_values["effects"],
                "mastering": None,
            },
        }
        _apply_extras(document, extras)
    # Through the engine's own parser: what comes out is a valid document, complete with defaults.
    return project_to_document(parse_project(document)), files


def _copy_limited(src: Any, dst: Any, declared: int) -> None:
    copied = 0
    while chunk := src.read(1 << 20):
        copied += len(chunk)
        if copied > declared:  # the zip lied about the size
            raise EngineError("audio.errors.dawproject_too_large", field=None)
        dst.write(chunk)


def _asset_key(name: str | None, member: str, taken: set[str]) -> str:
    base = name if name and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name) else None
    if base is None:
        stem = re.sub(r"[^A-Za-z0-9_-]", "_", PurePosixPath(member).stem)[:48] or "audio"
        base = f"file_{stem}"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}_{n}"
    return key


def _read_title(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> str:
    info = members.get("metadata.xml")
    if info is None or info.file_size > 1 << 20:
        return ""
    data = archive.read(info)
    if b"<!DOCTYPE" in data:
        return ""
    try:
        root = ET.fromstring(data)  # noqa: S314 - DOCTYPE refused above
    except ET.ParseError:
        return ""
    return (root.findtext("Title") or "")[:200]


def _read_extras(archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> dict[str, Any] | None:
    info = members.get(EXTRAS)
    if info is None or info.file_size > 16 * 1024 * 1024:
        return None
    try:
        extras = json.loads(archive.read(info))
    except ValueError:
        return None
    return (
        extras if isinstance(extras, dict) and extras.get("format") == "cadenza-dawproject-extras" else None
    )


def _apply_extras(document: dict[str, Any], extras: dict[str, Any] | None) -> None:
    """Restore what DAWproject cannot hold, when the archive is one of ours and still matches."""
    if extras is None:
        return
    ours = extras.get("tracks")
    tracks = document["tracks"]
    if not isinstance(ours, list) or len(ours) != len(tracks):
        return
    if isinstance(extras.get("title"), str):
        document["title"] = extras["title"][:200]
    if extras.get("sample_rate") in SAMPLE_RATES:
        document["sample_rate"] = extras["sample_rate"]
    master = extras.get("master") or {}
    if master.get("mastering") in (None, "streaming"):
        document["master"]["mastering"] = master.get("mastering")
    _restore_ids(document["master"]["effects"], master.get("effect_ids"))
    for track, extra in zip(tracks, ours, strict=True):
        if not isinstance(extra, dict) or extra.get("name") != track["name"]:
            continue
        if isinstance(extra.get("id"), str) and extra["id"]:
            track["id"] = extra["id"][:64]
        _restore_ids(track["effects"], extra.get("effect_ids"))
        clips = extra.get("clips")
        if isinstance(clips, list) and len(clips) == len(track["clips"]):
            for clip, saved in zip(track["clips"], clips, strict=True):
                if isinstance(saved, dict):
                    if isinstance(saved.get("id"), str) and saved["id"]:
                        clip["id"] = saved["id"][:64]
                    gain = saved.get("gain_db")
                    if isinstance(gain, int | float) and math.isfinite(gain):
                        clip["gain_db"] = min(12.0, max(-60.0, float(gain)))


def _restore_ids(effects: list[dict[str, Any]], ids: Any) -> None:
    if isinstance(ids, list) and len(ids) == len(effects):
        for effect, saved in zip(effects, ids, strict=True):
            if isinstance(saved, str) and saved:
                effect["id"] = saved[:64]
