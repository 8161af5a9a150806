"""Mastering lands at -14 LUFS / <= -1 dBTP; exports are what they claim, read back from the files."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import mutagen
import numpy as np
import pyloudnorm
import pytest
import soundfile
from scipy import signal

from backend.audio.engine import EngineError, export, export_stems_zip, render
from backend.audio.engine.measure import true_peak_dbtp
from tests.audio.engine.signals import music, read, sine, write

TAGS = {"title": "Nächte über Ōsaka", "artist": "Zoë & the Cadenzas"}


def _doc(rate: int, mastering: str | None, gain_db: float = 0.0) -> dict:
    return {
        "title": "x",
        "sample_rate": rate,
        "tracks": [
            {
                "id": "trk_a",
                "name": "A",
                "gain_db": gain_db,
                "clips": [{"id": "c", "asset_id": "m", "start": 0.0, "length": 20.0}],
            }
        ],
        "master": {
            "mastering": mastering,
            "effects": [{"type": "compressor", "params": {"threshold_db": -20}}],
        },
    }


@pytest.mark.parametrize(("label", "scale", "gain_db"), [("loud", 1.0, 12.0), ("quiet", 0.02, 0.0)])
async def test_the_streaming_preset_lands_at_minus_14_lufs_and_under_minus_1_dbtp(
    tmp_path, label, scale, gain_db
):
    rate = 48000
    source = write(tmp_path / "m.wav", music(20.0, rate) * scale, rate)
    before = pyloudnorm.Meter(rate).integrated_loudness(
        read(source)[0].T.astype(np.float64) * 10 ** (gain_db / 20)
    )
    result = await render(_doc(rate, "streaming", gain_db), {"m": source}, tmp_path / "mastered.wav")
    mastered = read(tmp_path / "mastered.wav")[0].astype(np.float64)
    lufs = pyloudnorm.Meter(rate).integrated_loudness(mastered.T)
    assert abs(before - (-14)) > 5, f"the {label} material really needed mastering ({before:.1f} LUFS)"
    assert lufs == pytest.approx(-14.0, abs=1.0)
    assert result.lufs == pytest.approx(lufs, abs=0.01)
    # True peak after mastering, by our meter and independently by 8x polyphase resampling.
    assert true_peak_dbtp(mastered) <= -1.0
    assert result.true_peak_dbtp <= -1.0
    independent = max(np.max(np.abs(signal.resample_poly(ch, 8, 1))) for ch in mastered)
    assert 20 * np.log10(independent) <= -0.9


async def test_without_mastering_the_mix_is_left_alone(tmp_path):
    rate = 48000
    source = write(tmp_path / "m.wav", music(20.0, rate) * 0.02, rate)
    result = await render(_doc(rate, None), {"m": source}, tmp_path / "mix.wav")
    assert result.lufs < -30


@pytest.fixture
async def mix96(tmp_path) -> Path:
    """A render at 96 kHz (float32), so 96 kHz exports hold exactly the rendered samples."""
    source = write(tmp_path / "m.wav", music(6.0, 96000) * 0.8, 96000)
    doc = _doc(96000, None)
    doc["tracks"][0]["clips"][0]["length"] = 6.0
    await render(doc, {"m": source}, tmp_path / "mix96.wav")
    return tmp_path / "mix96.wav"


def _soxi(path: Path) -> dict[str, str]:
    out = subprocess.run(["sox", "--i", str(path)], capture_output=True, text=True, check=True).stdout
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines() if ":" in line)}


async def test_24_bit_96_khz_wav_and_flac_are_what_they_claim_and_identical(tmp_path, mix96):
    wav = await export(mix96, tmp_path / "out.wav", fmt="wav", bit_depth=24, sample_rate=96000, tags=TAGS)
    flac = await export(mix96, tmp_path / "out.flac", fmt="flac", bit_depth=24, sample_rate=96000, tags=TAGS)
    for result, subtype in ((wav, "PCM_24"), (flac, "PCM_24")):
        info = soundfile.info(str(result.path))
        assert (info.samplerate, info.channels, info.subtype) == (96000, 2, subtype)
        assert result.sample_rate == 96000 and result.bit_depth == 24
        assert result.size == result.path.stat().st_size
        sox = _soxi(result.path)
        assert sox["Sample Rate"] == "96000" and sox["Precision"] == "24-bit"
    mix = read(mix96)[0]
    wav_samples, _ = soundfile.read(str(wav.path), dtype="int32", always_2d=True)
    flac_samples, _ = soundfile.read(str(flac.path), dtype="int32", always_2d=True)
    assert np.array_equal(wav_samples, flac_samples), "FLAC decodes bit-identical to the 24-bit WAV"
    as_24 = (wav_samples >> 8).T.astype(np.float64)
    assert as_24.shape == mix.shape
    # Each sample is the rendered float rounded to 24 bits (no dither at 24).
    expected = np.clip(np.round(mix.astype(np.float64) * 2**23), -(2**23), 2**23 - 1)
    assert np.array_equal(as_24, expected)
    for path in (wav.path, flac.path):
        with soundfile.SoundFile(str(path)) as f:
            assert (f.title, f.artist) == (TAGS["title"], TAGS["artist"])


async def test_16_bit_is_dithered_and_32_bit_float_is_exact(tmp_path, mix96):
    mix = read(mix96)[0]
    w16 = await export(mix96, tmp_path / "out16.wav", fmt="wav", bit_depth=16, sample_rate=96000, tags=TAGS)
    info = soundfile.info(str(w16.path))
    assert (info.subtype, info.samplerate) == ("PCM_16", 96000)
    ints = soundfile.read(str(w16.path), dtype="int16", always_2d=True)[0].T.astype(np.float64)
    error = ints - mix * 32768
    assert np.max(np.abs(error)) <= 2.0, "TPDF dither stays within ±1 LSB of rounding"
    # Plain rounding would leave an error of std 0.29 LSB; TPDF dither plus rounding gives 0.5.
    assert 0.42 < np.std(error) < 0.6, "and it is there: the error is noise, not plain rounding"
    assert abs(np.mean(error)) < 0.05

    w32 = await export(mix96, tmp_path / "out32.wav", fmt="wav", bit_depth=32, sample_rate=96000, tags=TAGS)
    assert soundfile.info(str(w32.path)).subtype == "FLOAT"
    assert np.array_equal(soundfile.read(str(w32.path), dtype="float32", always_2d=True)[0].T, mix)

    w441 = await export(mix96, tmp_path / "out441.wav", fmt="wav", bit_depth=24, sample_rate=44100)
    info = soundfile.info(str(w441.path))
    assert info.samplerate == 44100 and info.frames == pytest.approx(6.0 * 44100, abs=2)


@pytest.mark.parametrize(
    ("fmt", "quality", "rate"), [("mp3", "320", 48000), ("mp3", "V0", 44100), ("ogg", "192", 48000)]
)
async def test_lossy_exports_carry_their_tags(tmp_path, mix96, fmt, quality, rate):
    result = await export(
        mix96, tmp_path / f"out.{fmt}", fmt=fmt, sample_rate=rate, quality=quality, tags=TAGS
    )
    assert result.path.exists() and result.bit_depth is None
    info = soundfile.info(str(result.path))
    assert info.samplerate == rate
    assert info.duration == pytest.approx(6.0, abs=0.1)
    tags = mutagen.File(str(result.path), easy=True)
    assert tags["title"] == [TAGS["title"]] and tags["artist"] == [TAGS["artist"]]
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=bit_rate:format_tags=title,artist", "-of", "json",
         str(result.path)], capture_output=True, text=True, check=True,
    )  # fmt: skip
    fmt_info = json.loads(probe.stdout)["format"]
    tags_lower = {k.lower(): v for k, v in fmt_info.get("tags", {}).items()}
    if fmt == "ogg":  # ffprobe reports Vorbis comments on the stream; mutagen has read them above
        return
    assert tags_lower == {"title": TAGS["title"], "artist": TAGS["artist"]}
    if quality == "320":
        assert int(fmt_info["bit_rate"]) == pytest.approx(320_000, rel=0.05)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"fmt": "aac", "bit_depth": 16, "sample_rate": 48000}, "fmt"),
        ({"fmt": "flac", "bit_depth": 32, "sample_rate": 48000}, "bit_depth"),
        ({"fmt": "wav", "bit_depth": 20, "sample_rate": 48000}, "bit_depth"),
        ({"fmt": "wav", "bit_depth": 24, "sample_rate": 22050}, "sample_rate"),
        ({"fmt": "mp3", "sample_rate": 96000}, "sample_rate"),
        ({"fmt": "mp3", "sample_rate": 48000, "quality": "128"}, "quality"),
        ({"fmt": "ogg", "sample_rate": 48000, "quality": "9000"}, "quality"),
        ({"fmt": "wav", "bit_depth": 24, "sample_rate": 48000, "quality": "320"}, "quality"),
        ({"fmt": "wav", "bit_depth": 24, "sample_rate": 48000, "tags": {"title": 5}}, "tags.title"),
    ],
)
async def test_invalid_export_combinations_are_refused_with_a_field(tmp_path, kwargs, field):
    with pytest.raises(EngineError) as caught:
        await export(tmp_path / "missing.wav", tmp_path / "out", **kwargs)
    assert caught.value.field == field
    assert not list(tmp_path.iterdir())


async def test_stems_zip_holds_every_stem_encoded_and_tagged(tmp_path):
    rate = 48000
    stems = {
        "Drums": write(tmp_path / "s1.wav", sine(100, 2.0, rate, 0.3, channels=2), rate),
        "Bass/Low": write(tmp_path / "s2.wav", sine(55, 2.0, rate, 0.3, channels=2), rate),
        "drums": write(tmp_path / "s3.wav", sine(900, 2.0, rate, 0.3, channels=2), rate),
    }
    result = await export_stems_zip(
        stems, tmp_path / "stems.zip", fmt="flac", bit_depth=24, sample_rate=48000, tags=TAGS
    )
    with zipfile.ZipFile(result.path) as archive:
        names = archive.namelist()
        assert names == ["Drums.flac", "BassLow.flac", "drums (2).flac"]
        archive.extractall(tmp_path / "unzipped")
    for name, original in zip(names, stems.values(), strict=True):
        path = tmp_path / "unzipped" / name
        info = soundfile.info(str(path))
        assert (info.samplerate, info.subtype) == (48000, "PCM_24")
        decoded = soundfile.read(str(path), dtype="float32", always_2d=True)[0].T
        assert np.max(np.abs(decoded - read(original)[0])) < 2**-22
        tags = mutagen.File(str(path))
        assert tags["artist"] == [TAGS["artist"]]
        assert tags["title"][0].startswith(TAGS["title"])
