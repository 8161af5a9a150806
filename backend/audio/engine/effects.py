"""The fixed menu of effects: each a pedalboard plugin with validated parameter ranges.

A track or the master bus carries ``{"id", "type", "params", "bypass"}`` entries; ``type`` is a key
of ``EFFECTS``. Ranges are chosen so that every value in them renders finite audio at every
project rate (the tests build and run each effect at both ends of every range).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pedalboard

from backend.audio.engine.errors import EngineError


@dataclass(frozen=True, slots=True)
class ParamSpec:
    name: str
    min: float
    max: float
    default: float
    unit: str  # "db", "ratio", "ms", "s", "hz", "fraction", "semitones", "bits", "choice"
    choices: tuple[str, ...] = ()  # for unit == "choice": the allowed values; min/max unused

    def label_key(self, effect_type: str) -> str:
        return f"audio.effects.{effect_type}.{self.name}"


@dataclass(frozen=True, slots=True)
class EffectSpec:
    type: str
    params: tuple[ParamSpec, ...]

    @property
    def label_key(self) -> str:
        return f"audio.effects.{self.type}.title"

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)

    def defaults(self) -> dict[str, Any]:
        return {p.name: (p.choices[int(p.default)] if p.choices else p.default) for p in self.params}


def _p(name: str, lo: float, hi: float, default: float, unit: str) -> ParamSpec:
    return ParamSpec(name, lo, hi, default, unit)


_LADDER_MODES = ("lpf12", "hpf12", "bpf12", "lpf24", "hpf24", "bpf24")

EFFECTS: dict[str, EffectSpec] = {
    spec.type: spec
    for spec in (
        EffectSpec("gain", (_p("gain_db", -60, 24, 0, "db"),)),
        EffectSpec(
            "compressor",
            (
                _p("threshold_db", -60, 0, -18, "db"),
                _p("ratio", 1, 20, 4, "ratio"),
                _p("attack_ms", 0.1, 200, 5, "ms"),
                _p("release_ms", 5, 2000, 100, "ms"),
            ),
        ),
        # pedalboard's Limiter adds make-up gain equal to -threshold: lowering the threshold drives
        # the signal harder into a 0 dBFS ceiling (the classic "L1" behaviour).
        EffectSpec("limiter", (_p("threshold_db", -30, 0, -1, "db"), _p("release_ms", 1, 1000, 100, "ms"))),
        EffectSpec(
            "noise_gate",
            (
                _p("threshold_db", -100, 0, -60, "db"),
                _p("ratio", 1, 20, 10, "ratio"),
                _p("attack_ms", 0.1, 100, 1, "ms"),
                _p("release_ms", 5, 2000, 100, "ms"),
            ),
        ),
        EffectSpec("highpass", (_p("cutoff_hz", 20, 20000, 80, "hz"),)),
        EffectSpec("lowpass", (_p("cutoff_hz", 20, 20000, 12000, "hz"),)),
        EffectSpec(
            "low_shelf",
            (
                _p("cutoff_hz", 20, 2000, 200, "hz"),
                _p("gain_db", -24, 24, 0, "db"),
                _p("q", 0.1, 10, 0.707, "ratio"),
            ),
        ),
        EffectSpec(
            "high_shelf",
            (
                _p("cutoff_hz", 1000, 20000, 6000, "hz"),
                _p("gain_db", -24, 24, 0, "db"),
                _p("q", 0.1, 10, 0.707, "ratio"),
            ),
        ),
        EffectSpec(
            "peak_eq",
            (
                _p("cutoff_hz", 20, 20000, 1000, "hz"),
                _p("gain_db", -24, 24, 0, "db"),
                _p("q", 0.1, 18, 1.0, "ratio"),
            ),
        ),
        EffectSpec(
            "ladder_filter",
            (
                ParamSpec("mode", 0, len(_LADDER_MODES) - 1, 0, "choice", _LADDER_MODES),
                _p("cutoff_hz", 20, 20000, 1000, "hz"),
                _p("resonance", 0, 1, 0.2, "fraction"),
                _p("drive", 1, 10, 1, "ratio"),
            ),
        ),
        EffectSpec(
            "chorus",
            (
                _p("rate_hz", 0.01, 20, 1, "hz"),
                _p("depth", 0, 1, 0.25, "fraction"),
                _p("centre_delay_ms", 1, 50, 7, "ms"),
                _p("feedback", -0.95, 0.95, 0, "fraction"),
                _p("mix", 0, 1, 0.5, "fraction"),
            ),
        ),
        EffectSpec(
            "phaser",
            (
                _p("rate_hz", 0.01, 20, 1, "hz"),
                _p("depth", 0, 1, 0.5, "fraction"),
                _p("centre_frequency_hz", 100, 10000, 1300, "hz"),
                _p("feedback", -0.95, 0.95, 0, "fraction"),
                _p("mix", 0, 1, 0.5, "fraction"),
            ),
        ),
        EffectSpec(
            "delay",
            (
                _p("delay_seconds", 0.001, 4, 0.5, "s"),
                # Below 1 so that every echo dies away: the renderer can then stop a silent track.
                _p("feedback", 0, 0.95, 0.3, "fraction"),
                _p("mix", 0, 1, 0.3, "fraction"),
            ),
        ),
        EffectSpec(
            "reverb",
            (
                _p("room_size", 0, 1, 0.5, "fraction"),
                _p("damping", 0, 1, 0.5, "fraction"),
                _p("wet_level", 0, 1, 0.33, "fraction"),
                _p("dry_level", 0, 1, 0.4, "fraction"),
                _p("width", 0, 1, 1, "fraction"),
            ),
        ),
        EffectSpec("distortion", (_p("drive_db", 0, 60, 25, "db"),)),
        EffectSpec("bitcrush", (_p("bit_depth", 1, 16, 8, "bits"),)),
        EffectSpec("pitch_shift", (_p("semitones", -12, 12, 0, "semitones"),)),
    )
}


def validate_effect(effect_type: Any, params: Any) -> dict[str, Any]:
    """Complete and checked parameters for ``effect_type``; defaults fill what is missing.

    Raises ``EngineError`` naming the parameter (``field``) for an unknown type or parameter,
    a value that is not a finite number (or not one of the choices) and a value out of range.
    """
    spec = EFFECTS.get(effect_type) if isinstance(effect_type, str) else None
    if spec is None:
        raise EngineError("audio.errors.unknown_effect", field="type", effect=str(effect_type))
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise EngineError("audio.errors.invalid_effect_params", field="params", effect=spec.type)
    values = spec.defaults()
    for name, value in params.items():
        param = spec.param(name) if isinstance(name, str) else None
        if param is None:
            raise EngineError(
                "audio.errors.unknown_effect_param", field=str(name), effect=spec.type, param=str(name)
            )
        values[name] = _checked(spec.type, param, value)
    return values


def _checked(effect_type: str, param: ParamSpec, value: Any) -> Any:
    if param.choices:
        if value not in param.choices:
            raise EngineError(
                "audio.errors.effect_param_invalid_choice",
                field=param.name,
                param=param.name,
                choices=", ".join(param.choices),
            )
        return value
    # bool is an int in Python; true/false is never a meaningful level or frequency.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise EngineError("audio.errors.effect_param_not_number", field=param.name, param=param.name)
    if not param.min <= value <= param.max:
        raise EngineError(
            "audio.errors.effect_param_out_of_range",
            field=param.name,
            param=param.name,
            min=param.min,
            max=param.max,
            unit=param.unit,
        )
    return float(value)


def build_plugin(effect_type: str, params: dict[str, Any] | None = None) -> pedalboard.Plugin:
    """A fresh pedalboard plugin for a validated (or to-be-validated) effect."""
    p = validate_effect(effect_type, params)
    match effect_type:
        case "gain":
            return pedalboard.Gain(gain_db=p["gain_db"])
        case "compressor":
            return pedalboard.Compressor(
                threshold_db=p["threshold_db"],
                ratio=p["ratio"],
                attack_ms=p["attack_ms"],
                release_ms=p["release_ms"],
            )
        case "limiter":
            return pedalboard.Limiter(threshold_db=p["threshold_db"], release_ms=p["release_ms"])
        case "noise_gate":
            return pedalboard.NoiseGate(
                threshold_db=p["threshold_db"],
                ratio=p["ratio"],
                attack_ms=p["attack_ms"],
                release_ms=p["release_ms"],
            )
        case "highpass":
            return pedalboard.HighpassFilter(cutoff_frequency_hz=p["cutoff_hz"])
        case "lowpass":
            return pedalboard.LowpassFilter(cutoff_frequency_hz=p["cutoff_hz"])
        case "low_shelf":
            return pedalboard.LowShelfFilter(
                cutoff_frequency_hz=p["cutoff_hz"], gain_db=p["gain_db"], q=p["q"]
            )
        case "high_shelf":
            return pedalboard.HighShelfFilter(
                cutoff_frequency_hz=p["cutoff_hz"], gain_db=p["gain_db"], q=p["q"]
            )
        case "peak_eq":
            return pedalboard.PeakFilter(cutoff_frequency_hz=p["cutoff_hz"], gain_db=p["gain_db"], q=p["q"])
        case "ladder_filter":
            mode = getattr(pedalboard.LadderFilter.Mode, p["mode"].upper())
            return pedalboard.LadderFilter(
                mode=mode, cutoff_hz=p["cutoff_hz"], resonance=p["resonance"], drive=p["drive"]
            )
        case "chorus":
            return pedalboard.Chorus(
                rate_hz=p["rate_hz"],
                depth=p["depth"],
                centre_delay_ms=p["centre_delay_ms"],
                feedback=p["feedback"],
                mix=p["mix"],
            )
        case "phaser":
            return pedalboard.Phaser(
                rate_hz=p["rate_hz"],
                depth=p["depth"],
                centre_frequency_hz=p["centre_frequency_hz"],
                feedback=p["feedback"],
                mix=p["mix"],
            )
        case "delay":
            return pedalboard.Delay(delay_seconds=p["delay_seconds"], feedback=p["feedback"], mix=p["mix"])
        case "reverb":
            return pedalboard.Reverb(
                room_size=p["room_size"],
                damping=p["damping"],
                wet_level=p["wet_level"],
                dry_level=p["dry_level"],
                width=p["width"],
            )
        case "distortion":
            return pedalboard.Distortion(drive_db=p["drive_db"])
        case "bitcrush":
            return pedalboard.Bitcrush(bit_depth=p["bit_depth"])
        case "pitch_shift":
            return pedalboard.PitchShift(semitones=p["semitones"])
    raise EngineError("audio.errors.unknown_effect", field="type", effect=effect_type)  # pragma: no cover
