"""MIDI in and out with ``mido``.

Writing is deterministic (same parts → same bytes), which is what lets "same seed, same piece" be
checked bit for bit. Reading takes an untrusted upload: the size is capped before parsing (mido is
pure Python, so a bounded file means bounded work), every failure becomes a translated refusal,
and the melody is the skyline of the busiest non-drum track, quantised to the 1/12-quarter grid.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Mapping, Sequence

import mido

from backend.core.errors import DomainError
from backend.intelligence.piece import GRID, Note, Piece, bar_length, estimate_key, mode_for, rests_filled

TICKS = 480  # per quarter note; 40 ticks per grid step
MAX_BYTES = 1024 * 1024
MAX_NOTES = 20_000
CHANNELS = {"melody": 0, "harmony": 1, "bass": 2, "drums": 9}
_KEY_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def write(
    parts: Mapping[str, Sequence[Note]],
    *,
    tempo: int,
    metre: str,
    tonic: int,
    mode: str,
    programs: Mapping[str, int],
    velocities: Mapping[str, int],
    title: str = "",
) -> bytes:
    num, den = (int(x) for x in metre.split("/"))
    song = mido.MidiFile(type=1, ticks_per_beat=TICKS)
    conductor = mido.MidiTrack()
    conductor.append(mido.MetaMessage("track_name", name=title[:60] or "Cadenza", time=0))
    conductor.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo), time=0))
    conductor.append(mido.MetaMessage("time_signature", numerator=num, denominator=den, time=0))
    key = _KEY_NAMES[tonic % 12] + ("m" if mode == "minor" else "")
    conductor.append(mido.MetaMessage("key_signature", key=key, time=0))
    song.tracks.append(conductor)
    for part, notes in parts.items():
        channel = CHANNELS[part]
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=part, time=0))
        if channel != 9:
            track.append(mido.Message("program_change", channel=channel, program=programs[part], time=0))
        events: list[tuple[int, int, int, int]] = []  # (tick, order, pitch, velocity); offs first
        for n in notes:
            if n.pitch is None:
                continue
            start = n.start * TICKS // GRID
            end = (n.start + n.duration) * TICKS // GRID
            velocity = velocities[part]
            events.append((start, 1, n.pitch, velocity))
            events.append((max(start + 1, end - 1), 0, n.pitch, 0))
        events.sort()
        now = 0
        for tick, is_on, pitch, velocity in events:
            kind = "note_on" if is_on else "note_off"
            track.append(mido.Message(kind, channel=channel, note=pitch, velocity=velocity, time=tick - now))
            now = tick
        track.append(mido.MetaMessage("end_of_track", time=0))
        song.tracks.append(track)
    buffer = io.BytesIO()
    song.save(file=buffer)
    return buffer.getvalue()


def parse(data: bytes, *, field: str = "file") -> mido.MidiFile:
    if len(data) > MAX_BYTES:
        raise DomainError("intelligence.errors.midi_too_large", field=field, limit_kb=MAX_BYTES // 1024)
    if not data.startswith(b"MThd"):
        raise DomainError("intelligence.errors.not_midi", field=field)
    try:
        return mido.MidiFile(file=io.BytesIO(data), clip=True)
    except Exception:  # mido raises many kinds (EOFError, OSError, KeyError…) on a corrupt file
        raise DomainError("intelligence.errors.corrupt_midi", field=field)


def read_piece(data: bytes, *, field: str = "file") -> Piece:
    """The melody of a MIDI file as a ``Piece``; refuses files with no notes."""
    song = parse(data, field=field)
    tpb = song.ticks_per_beat or TICKS
    metre = "4/4"
    key_meta: str | None = None
    by_track: list[list[tuple[int, int, int]]] = []
    total_notes = 0
    for track in song.tracks:
        tick = 0
        open_notes: dict[tuple[int, int], int] = {}
        found: list[tuple[int, int, int]] = []
        for message in track:
            tick += message.time
            if message.type == "time_signature" and metre == "4/4":
                metre = f"{message.numerator}/{message.denominator}"
            elif message.type == "key_signature" and key_meta is None:
                key_meta = message.key
            elif message.type == "note_on" and message.velocity > 0 and message.channel != 9:
                open_notes[(message.channel, message.note)] = tick
            elif message.type in ("note_off", "note_on") and message.channel != 9:
                started = open_notes.pop((message.channel, message.note), None)
                if started is not None and tick > started:
                    found.append((started, tick, message.note))
                    total_notes += 1
            if total_notes > MAX_NOTES:
                raise DomainError("intelligence.errors.midi_too_many_notes", field=field, limit=MAX_NOTES)
        by_track.append(found)
    busiest = max(by_track, key=len, default=[])
    if len(busiest) < 4:
        raise DomainError("intelligence.errors.empty_midi", field=field)
    try:
        bar = bar_length(metre)
    except (ValueError, ZeroDivisionError):
        metre, bar = "4/4", 4 * GRID
    if bar <= 0 or bar > 16 * GRID:
        metre, bar = "4/4", 4 * GRID
    # Skyline: the highest note starting at each grid step carries the melody.
    onsets: dict[int, tuple[int, int]] = {}
    for start, end, pitch in busiest:
        s = round(start * GRID / tpb)
        d = max(1, round((end - start) * GRID / tpb))
        if s not in onsets or pitch > onsets[s][1]:
            onsets[s] = (d, pitch)
    raw = [Note(s, d, p) for s, (d, p) in sorted(onsets.items())]
    notes = rests_filled(raw)
    first = notes[0].start
    notes = [Note(n.start - first + first % bar, n.duration, n.pitch) for n in notes]
    tonic, mode = estimate_key(notes)
    return Piece(notes=notes, bar=bar, metre=metre, tonic=tonic, mode=mode_for(notes, tonic) or mode)


def metre_counts(pieces: Sequence[Piece]) -> Counter[str]:
    return Counter(p.metre for p in pieces)
