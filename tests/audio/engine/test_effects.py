"""The effects menu: every effect builds and renders finite audio across its ranges; bad input names its field."""

from __future__ import annotations

import numpy as np
import pedalboard
import pytest

from backend.audio.engine import EFFECTS, EngineError, build_plugin, validate_effect
from backend.audio.engine.document import parse_project

EXPECTED_MENU = {
    "gain",
    "compressor",
    "limiter",
    "noise_gate",
    "highpass",
    "lowpass",
    "low_shelf",
    "high_shelf",
    "peak_eq",
    "ladder_filter",
    "chorus",
    "phaser",
    "delay",
    "reverb",
    "distortion",
    "bitcrush",
    "pitch_shift",
}


def test_the_menu_is_the_fixed_list_with_labelled_parameters():
    assert set(EFFECTS) == EXPECTED_MENU
    for effect_type, spec in EFFECTS.items():
        assert spec.params, effect_type
        for p in spec.params:
            assert p.label_key(effect_type) == f"audio.effects.{effect_type}.{p.name}"
            if not p.choices:
                assert p.min <= p.default <= p.max, (effect_type, p.name)


def _settings(effect_type: str) -> list[dict]:
    """Defaults, all minimums, all maximums (choices: first and last)."""
    spec = EFFECTS[effect_type]
    low = {p.name: (p.choices[0] if p.choices else p.min) for p in spec.params}
    high = {p.name: (p.choices[-1] if p.choices else p.max) for p in spec.params}
    return [{}, low, high]


@pytest.mark.parametrize("effect_type", sorted(EXPECTED_MENU))
@pytest.mark.parametrize("rate", [44100, 96000])
def test_every_effect_builds_and_renders_at_defaults_and_extremes(effect_type, rate):
    rng = np.random.default_rng(7)
    audio = (rng.uniform(-0.5, 0.5, (2, rate // 2))).astype(np.float32)
    for params in _settings(effect_type):
        plugin = build_plugin(effect_type, params)
        assert isinstance(plugin, pedalboard.Plugin)
        out = plugin.process(audio, rate)
        assert out.shape[0] == 2
        assert np.isfinite(out).all(), (effect_type, params)


def test_validate_fills_defaults_and_keeps_given_values():
    params = validate_effect("reverb", {"room_size": 0.8})
    assert params["room_size"] == 0.8
    assert params["wet_level"] == EFFECTS["reverb"].param("wet_level").default
    assert set(params) == {p.name for p in EFFECTS["reverb"].params}
    assert validate_effect("ladder_filter", {"mode": "hpf24"})["mode"] == "hpf24"


@pytest.mark.parametrize(
    ("effect_type", "params", "field", "key"),
    [
        ("flanger", {}, "type", "audio.errors.unknown_effect"),
        ("reverb", {"size": 0.5}, "size", "audio.errors.unknown_effect_param"),
        ("reverb", {"room_size": 1.5}, "room_size", "audio.errors.effect_param_out_of_range"),
        ("compressor", {"ratio": 0.5}, "ratio", "audio.errors.effect_param_out_of_range"),
        ("highpass", {"cutoff_hz": 25000}, "cutoff_hz", "audio.errors.effect_param_out_of_range"),
        ("delay", {"feedback": 1.0}, "feedback", "audio.errors.effect_param_out_of_range"),
        ("gain", {"gain_db": "loud"}, "gain_db", "audio.errors.effect_param_not_number"),
        ("gain", {"gain_db": float("nan")}, "gain_db", "audio.errors.effect_param_not_number"),
        ("gain", {"gain_db": True}, "gain_db", "audio.errors.effect_param_not_number"),
        ("ladder_filter", {"mode": "notch"}, "mode", "audio.errors.effect_param_invalid_choice"),
        ("pitch_shift", {"semitones": 13}, "semitones", "audio.errors.effect_param_out_of_range"),
    ],
)
def test_bad_effects_are_refused_naming_the_field(effect_type, params, field, key):
    with pytest.raises(EngineError) as caught:
        validate_effect(effect_type, params)
    assert caught.value.key == key
    assert caught.value.field == field
    with pytest.raises(EngineError):
        build_plugin(effect_type, params)


def test_document_errors_point_into_the_document():
    document = {
        "sample_rate": 48000,
        "tracks": [
            {"id": "trk_a", "name": "A", "effects": [{"type": "reverb", "params": {}}]},
            {"id": "trk_b", "name": "B", "effects": [{"type": "reverb", "params": {"room_size": 2}}]},
        ],
    }
    with pytest.raises(EngineError) as caught:
        parse_project(document)
    assert caught.value.field == "tracks.1.effects.0.params.room_size"
    assert caught.value.key == "audio.errors.effect_param_out_of_range"

    bad_pan = {"tracks": [{"id": "t", "name": "A", "pan": 1.5}]}
    with pytest.raises(EngineError) as caught:
        parse_project(bad_pan)
    assert (caught.value.field, caught.value.key) == ("tracks.0.pan", "audio.errors.out_of_range")

    with pytest.raises(EngineError) as caught:
        parse_project({"sample_rate": 22050})
    assert caught.value.field == "sample_rate"


def test_every_effect_and_parameter_has_a_label_in_every_locale():
    """The labels are the domain's strings (``audio.effects.<type>.<param>``); the menu is ours."""
    from pathlib import Path

    import yaml

    translations = Path(__file__).resolve().parents[3] / "translations"
    for locale in ("en", "es", "pt-BR", "de", "ja"):
        catalogue = yaml.safe_load((translations / f"audio.{locale}.yml").read_text(encoding="utf-8"))
        labels = catalogue.get("effects", {})
        for effect_type, spec in EFFECTS.items():
            assert labels.get(effect_type, {}).get("title"), (locale, spec.label_key)
            for p in spec.params:
                assert labels[effect_type].get(p.name), (locale, p.label_key(effect_type))
