"""How Cadenza's mixer values and effects map to DAWproject 1.0 elements, both ways.

- Volume: ``unit="linear"`` amplitude (what Bitwig writes): 10^(gain_db/20).
- Pan: ``unit="normalized"``, 0 = left, 0.5 = centre, 1 = right: (pan + 1) / 2.
- Effects: those DAWproject names get its built-in devices — compressor → ``Compressor``,
  limiter → ``Limiter``, noise_gate → ``NoiseGate``, the five EQ types → an ``Equalizer`` with
  one band. The rest are ``BuiltinDevice`` elements. Every device carries
  ``deviceID="cadenza.<type>"`` and all its parameters by name in ``Parameters``, so Cadenza reads
  its own exports back exactly; devices of other applications are mapped where the meaning is
  the same (a compressor is a compressor) and skipped otherwise.
"""

from __future__ import annotations

import math
from typing import Any

from backend.audio.engine.effects import EFFECTS

VENDOR = "Cadenza"
DEVICE_PREFIX = "cadenza."
GAIN_MIN_DB, GAIN_MAX_DB = -60.0, 12.0

# Our unit → (DAWproject unit, factor from ours to theirs).
UNITS: dict[str, tuple[str, float]] = {
    "db": ("decibel", 1.0),
    "hz": ("hertz", 1.0),
    "ms": ("seconds", 0.001),
    "s": ("seconds", 1.0),
    "fraction": ("normalized", 1.0),
    "ratio": ("linear", 1.0),
    "semitones": ("semitones", 1.0),
    "bits": ("linear", 1.0),
}

# Typed DAWproject devices: element name and {their child element: our parameter}.
TYPED_DEVICES: dict[str, tuple[str, dict[str, str]]] = {
    "compressor": (
        "Compressor",
        {"Attack": "attack_ms", "Ratio": "ratio", "Release": "release_ms", "Threshold": "threshold_db"},
    ),
    "limiter": ("Limiter", {"Release": "release_ms", "Threshold": "threshold_db"}),
    "noise_gate": (
        "NoiseGate",
        {"Attack": "attack_ms", "Ratio": "ratio", "Release": "release_ms", "Threshold": "threshold_db"},
    ),
}
# The order the schema wants those children in (xs:sequence).
TYPED_ORDER = {
    "Compressor": ("Attack", "AutoMakeup", "InputGain", "OutputGain", "Ratio", "Release", "Threshold"),
    "Limiter": ("Attack", "InputGain", "OutputGain", "Release", "Threshold"),
    "NoiseGate": ("Attack", "Range", "Ratio", "Release", "Threshold"),
}
EQ_BANDS: dict[str, str] = {
    "highpass": "highPass",
    "lowpass": "lowPass",
    "low_shelf": "lowShelf",
    "high_shelf": "highShelf",
    "peak_eq": "bell",
}


def volume_to_linear(gain_db: float) -> float:
    return 10.0 ** (gain_db / 20.0)


def linear_to_volume(value: float) -> float:
    if value <= 0:
        return GAIN_MIN_DB
    return min(GAIN_MAX_DB, max(GAIN_MIN_DB, 20.0 * math.log10(value)))


def pan_to_normalized(pan: float) -> float:
    return (pan + 1.0) / 2.0


def normalized_to_pan(value: float) -> float:
    return min(1.0, max(-1.0, value * 2.0 - 1.0))


def to_theirs(effect_type: str, name: str, value: float) -> tuple[str, float]:
    spec = EFFECTS[effect_type].param(name)
    assert spec is not None
    unit, factor = UNITS[spec.unit]
    return unit, value * factor


def to_ours(effect_type: str, name: str, value: float, unit: str | None) -> float | None:
    """A parameter value from a DAWproject unit into ours, or ``None`` if the units disagree."""
    spec = EFFECTS[effect_type].param(name)
    if spec is None:
        return None
    expected, factor = UNITS[spec.unit]
    if unit is not None and unit != expected:
        if spec.unit == "ms" and unit == "seconds":
            pass
        else:
            return None
    return value / factor


def clamp_params(effect_type: str, params: dict[str, Any]) -> dict[str, Any]:
    """Foreign values pulled into our ranges (a 30:1 ratio becomes 20:1), unknown names dropped."""
    spec = EFFECTS[effect_type]
    result: dict[str, Any] = {}
    for name, value in params.items():
        p = spec.param(name)
        if p is None:
            continue
        if p.choices:
            if value in p.choices:
                result[name] = value
        elif isinstance(value, int | float) and math.isfinite(value):
            result[name] = min(p.max, max(p.min, float(value)))
    return result
