"""Meters: the streaming meters agree with the one-shot ones; true peak finds inter-sample peaks."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import yaml
from scipy import signal

from backend.audio.engine import measure
from tests.audio.engine.signals import music, sine

ENGINE = Path(__file__).resolve().parents[3] / "backend" / "audio" / "engine"
TRANSLATIONS = Path(__file__).resolve().parents[3] / "translations"


@pytest.mark.parametrize("rate", [44100, 48000, 96000])
def test_streaming_loudness_equals_pyloudnorm_whatever_the_block_size(rate):
    audio = music(9.3, rate).astype(np.float64)
    audio[:, rate : 2 * rate] *= 0.001  # a quiet bar, for the gates to act on
    reference = pyloudnorm.Meter(rate).integrated_loudness(audio.T)
    meter = measure.LoudnessMeter(rate, 2)
    rng = np.random.default_rng(rate)
    pos = 0
    while pos < audio.shape[1]:
        size = int(rng.integers(1, 40000))
        meter.add(audio[:, pos : pos + size])
        pos += size
    assert meter.integrated() == pytest.approx(reference, abs=1e-6)
    assert measure.integrated_lufs(audio, rate) == pytest.approx(reference, abs=1e-9)


def test_a_full_scale_sine_reads_its_known_levels():
    rate = 48000
    tone = sine(997, 5, rate, amplitude=1.0, channels=2)
    assert measure.rms_dbfs(tone) == pytest.approx([-3.0103, -3.0103], abs=0.01)
    assert measure.sample_peak_dbfs(tone) == pytest.approx(0.0, abs=0.01)
    assert measure.true_peak_dbtp(tone) == pytest.approx(0.0, abs=0.05)
    # BS.1770 via pyloudnorm is the reference for loudness.
    assert measure.integrated_lufs(tone, rate) == pytest.approx(
        pyloudnorm.Meter(rate).integrated_loudness(tone.T.astype(np.float64)), abs=1e-9
    )


def test_true_peak_sees_between_the_samples():
    rate = 48000
    # A quarter-rate sine sampled 45° off its crest: every sample is at 0.707 of the true peak.
    n = np.arange(rate)
    x = np.sin(2 * np.pi * n / 4 + np.pi / 4).astype(np.float64)[np.newaxis, :] * 0.5
    assert measure.sample_peak_dbfs(x) == pytest.approx(20 * np.log10(0.5 * np.sqrt(0.5)), abs=0.01)
    reference = 20 * np.log10(np.max(np.abs(signal.resample_poly(x[0], 32, 1)[1000:-1000])))
    assert reference == pytest.approx(20 * np.log10(0.5), abs=0.05)
    assert measure.true_peak_dbtp(x) == pytest.approx(reference, abs=0.3)


def test_streaming_true_peak_equals_one_shot():
    audio = music(4.0, 44100)
    meter = measure.TruePeakMeter(2)
    for pos in range(0, audio.shape[1], 3001):
        meter.add(audio[:, pos : pos + 3001])
    assert meter.dbtp() == pytest.approx(measure.true_peak_dbtp(audio), abs=1e-9)


def test_silence_has_finite_floors():
    quiet = np.zeros((2, 48000), dtype=np.float32)
    assert measure.integrated_lufs(quiet, 48000) == measure.LUFS_FLOOR
    assert measure.true_peak_dbtp(quiet) == measure.DB_FLOOR
    assert measure.rms_dbfs(quiet) == [measure.DB_FLOOR, measure.DB_FLOOR]


def test_every_engine_error_key_is_translated_in_every_locale():
    """A key the engine raises but no catalogue holds would reach a user as a raw key."""
    source = "\n".join(p.read_text() for p in ENGINE.rglob("*.py"))
    keys = set(re.findall(r'"audio\.errors\.([a-z_]+)"', source))
    keys |= set(re.findall(r'_fail\(\s*"([a-z_]+)"', source))
    assert len(keys) > 30
    for locale in ("en", "es", "pt-BR", "de", "ja"):
        catalogue = yaml.safe_load((TRANSLATIONS / f"audio.{locale}.yml").read_text(encoding="utf-8"))
        missing = keys - set(catalogue.get("errors", {}))
        assert not missing, (locale, sorted(missing))
