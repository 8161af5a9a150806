"""DAWproject: the export validates against the DAWproject 1.0 XSD and re-imports to the same project."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
import xmlschema

from backend.audio.engine import EngineError, export_dawproject, import_dawproject
from backend.audio.engine.document import parse_project, project_to_document
from tests.audio.engine.signals import sine, write

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "backend" / "audio" / "engine" / "dawproject"

DOCUMENT = {
    "title": "Round trip",
    "tempo": 96.0,
    "time_signature": [6, 8],
    "sample_rate": 48000,
    "tracks": [
        {
            "id": "trk_drums",
            "name": "Drums",
            "color": "#7c5cff",
            "gain_db": -3.5,
            "pan": -0.25,
            "mute": False,
            "solo": True,
            "effects": [
                {"id": "fx_1", "type": "compressor", "params": {"threshold_db": -20, "ratio": 3, "attack_ms": 10}, "bypass": False},
                {"id": "fx_2", "type": "peak_eq", "params": {"cutoff_hz": 2500, "gain_db": 4, "q": 2}, "bypass": True},
                {"id": "fx_3", "type": "reverb", "params": {"room_size": 0.7, "wet_level": 0.25}, "bypass": False},
                {"id": "fx_4", "type": "ladder_filter", "params": {"mode": "bpf24", "cutoff_hz": 900}, "bypass": False},
            ],
            "clips": [
                {"id": "clp_1", "asset_id": "ast_kick", "start": 0.0, "offset": 0.0, "length": 2.0, "gain_db": -2.0,
                 "fade_in": 0.01, "fade_out": 0.5},
                {"id": "clp_2", "asset_id": "ast_kick", "start": 4.0, "offset": 0.5, "length": 1.25, "gain_db": 0.0,
                 "fade_in": 0.0, "fade_out": 0.0},
            ],
        },
        {
            "id": "trk_bass",
            "name": "Bass ♪",
            "color": None,
            "gain_db": 6.0,
            "pan": 0.8,
            "mute": True,
            "solo": False,
            "effects": [{"id": "fx_5", "type": "limiter", "params": {"threshold_db": -3}, "bypass": False}],
            "clips": [
                {"id": "clp_3", "asset_id": "ast_bass", "start": 1.5, "offset": 0.25, "length": 2.5, "gain_db": 3.0,
                 "fade_in": 0.2, "fade_out": 0.2},
            ],
        },
        {"id": "trk_empty", "name": "Empty", "color": None, "gain_db": 0.0, "pan": 0.0, "mute": False, "solo": False,
         "effects": [], "clips": []},
    ],
    "master": {"gain_db": -1.0, "effects": [{"id": "fx_m", "type": "highpass", "params": {"cutoff_hz": 30}, "bypass": False}],
               "mastering": "streaming"},
}  # fmt: skip


@pytest.fixture
def sources(tmp_path: Path) -> dict[str, Path]:
    return {
        "ast_kick": write(tmp_path / "kick.flac", sine(60, 3.0, 48000, 0.5), 48000, bit_depth=24),
        "ast_bass": write(tmp_path / "bass.wav", sine(110, 4.0, 44100, 0.4, channels=2), 44100, bit_depth=16),
    }


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _track_list(document: dict) -> list[tuple]:
    document = project_to_document(parse_project(document))  # defaults filled in, as stored
    return [
        (
            t["name"],
            round(t["gain_db"], 6),
            round(t["pan"], 6),
            t["mute"],
            t["solo"],
            t["color"],
            [(e["type"], e["bypass"], {k: round(v, 6) if isinstance(v, float) else v for k, v in e["params"].items()})
             for e in t["effects"]],
            [(round(c["start"], 9), round(c["offset"], 9), round(c["length"], 9), round(c["fade_in"], 9),
              round(c["fade_out"], 9)) for c in t["clips"]],
        )
        for t in document["tracks"]
    ]  # fmt: skip


async def test_export_validates_against_the_xsd_and_reimports_to_the_same_project(tmp_path, sources):
    result = await export_dawproject(
        DOCUMENT, sources, tmp_path / "song.dawproject", title="Round trip", artist="Zoë"
    )
    with zipfile.ZipFile(result.path) as archive:
        names = set(archive.namelist())
        assert {"project.xml", "metadata.xml"} <= names
        assert sum(n.startswith("audio/") for n in names) == 2, "each file once, however many clips use it"
        project_xml = archive.read("project.xml").decode()
        metadata_xml = archive.read("metadata.xml").decode()
    # Validated here with xmlschema directly against the vendored schema files.
    xmlschema.XMLSchema(str(SCHEMA_DIR / "Project.xsd")).validate(project_xml)
    xmlschema.XMLSchema(str(SCHEMA_DIR / "MetaData.xsd")).validate(metadata_xml)
    assert "<Title>Round trip</Title>" in metadata_xml and "<Artist>Zoë</Artist>" in metadata_xml

    document, files = import_dawproject(result.path, extract_dir=tmp_path / "imported")
    assert _track_list(document) == _track_list(DOCUMENT)
    assert [t["id"] for t in document["tracks"]] == [t["id"] for t in DOCUMENT["tracks"]]
    assert [[c["gain_db"] for c in t["clips"]] for t in document["tracks"]] == [[-2.0, 0.0], [3.0], []]
    assert (document["tempo"], document["time_signature"], document["sample_rate"]) == (96.0, [6, 8], 48000)
    assert document["master"]["gain_db"] == pytest.approx(-1.0)
    assert document["master"]["mastering"] == "streaming"
    # The clips point at files that hold exactly the audio that was exported.
    for original in DOCUMENT["tracks"][:2]:
        for clip, back in zip(original["clips"], next(t for t in document["tracks"] if t["id"] == original["id"])["clips"],
                              strict=True):  # fmt: skip
            assert _sha(files[back["asset_id"]]) == _sha(sources[clip["asset_id"]])


async def test_what_dawproject_itself_says_survives_without_cadenzas_extras(tmp_path, sources):
    result = await export_dawproject(DOCUMENT, sources, tmp_path / "song.dawproject", title="t", artist="a")
    stripped = tmp_path / "foreign.dawproject"
    with zipfile.ZipFile(result.path) as src, zipfile.ZipFile(stripped, "w") as dst:
        for item in src.infolist():
            if item.filename != "cadenza.json":
                dst.writestr(item, src.read(item))
    document, files = import_dawproject(stripped, extract_dir=tmp_path / "x")
    # Names, volume, pan, mute, solo, effects and clip placement come from project.xml alone;
    # clip gain and ids are Cadenza's own (DAWproject has no clip gain).
    assert _track_list(document) == _track_list(DOCUMENT)
    assert all(c["gain_db"] == 0.0 for t in document["tracks"] for c in t["clips"])
    assert len(files) == 2


def _archive(path: Path, project_xml: str, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.xml", project_xml)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def test_a_foreign_project_in_beats_with_folder_tracks_is_understood(tmp_path):
    wav = write(tmp_path / "loop.wav", sine(220, 2.0, 44100, 0.3, channels=2), 44100, bit_depth=16)
    xml = """<?xml version="1.0" encoding="UTF-8"?>
<Project version="1.0">
  <Application name="Other DAW" version="5"/>
  <Transport><Tempo unit="bpm" value="120" id="t"/></Transport>
  <Structure>
    <Track contentType="tracks" name="Group" id="g">
      <Track contentType="audio" name="Loop" id="a1">
        <Channel role="regular" id="c1">
          <Devices>
            <Vst3Plugin deviceName="Some Synth" deviceRole="audioFX" id="v"/>
            <Compressor deviceName="Comp" deviceRole="audioFX" id="cp">
              <Ratio unit="linear" value="40"/><Threshold unit="decibel" value="-18"/>
            </Compressor>
          </Devices>
          <Volume unit="linear" value="0.5"/>
          <Pan unit="normalized" value="0.25"/>
        </Channel>
      </Track>
    </Track>
  </Structure>
  <Arrangement id="arr">
    <Lanes id="l0">
      <Lanes track="a1" id="l1">
        <Clips id="cl">
          <Clip time="2" duration="4" playStart="0" fadeTimeUnit="seconds" fadeInTime="0.1" fadeOutTime="0">
            <Warps contentTimeUnit="seconds" id="w">
              <Audio channels="2" sampleRate="44100" duration="2.0" id="au"><File path="audio/loop.wav"/></Audio>
              <Warp time="0" contentTime="0"/>
            </Warps>
          </Clip>
        </Clips>
      </Lanes>
    </Lanes>
  </Arrangement>
</Project>"""
    path = _archive(tmp_path / "foreign.dawproject", xml, {"audio/loop.wav": wav.read_bytes()})
    document, files = import_dawproject(path, extract_dir=tmp_path / "out")
    [track] = document["tracks"]
    assert track["name"] == "Loop"
    assert track["gain_db"] == pytest.approx(-6.0206, abs=1e-3)
    assert track["pan"] == pytest.approx(-0.5)
    assert [(e["type"], e["params"]["ratio"], e["params"]["threshold_db"]) for e in track["effects"]] == [
        ("compressor", 20.0, -18.0)  # the plug-in is skipped; a 40:1 ratio is brought into our range
    ]
    [clip] = track["clips"]
    # Beats at 120 bpm: time 2 beats = 1 s, duration 4 beats = 2 s.
    assert (clip["start"], clip["length"], clip["fade_in"]) == (1.0, 2.0, 0.1)
    assert _sha(files[clip["asset_id"]]) == _sha(wav)
    assert document["sample_rate"] == 44100


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("not a zip", lambda p: p.write_bytes(b"PK\x03\x04 not really")),
        ("no project.xml", lambda p: _archive(p, "", {}).unlink() or zipfile.ZipFile(p, "w").close()),
        ("not xml", lambda p: _archive(p, "<Project version='1.0'><unclosed>")),
        (
            "entities",
            lambda p: _archive(
                p, '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Project version="1.0"/>'
            ),
        ),
        ("wrong root", lambda p: _archive(p, "<Song/>")),
    ],
)
def test_broken_or_hostile_archives_are_refused(tmp_path, name, build):
    path = tmp_path / "bad.dawproject"
    build(path)
    with pytest.raises(EngineError) as caught:
        import_dawproject(path, extract_dir=tmp_path / "out")
    assert caught.value.key == "audio.errors.dawproject_invalid", name


def test_paths_outside_the_archive_are_never_followed(tmp_path):
    secret = tmp_path / "secret.wav"
    write(secret, sine(440, 0.5, 48000), 48000)
    xml = f"""<Project version="1.0"><Application name="x" version="1"/>
<Structure><Track contentType="audio" name="T" id="t"><Channel id="c"/></Track></Structure>
<Arrangement id="a"><Lanes timeUnit="seconds" id="l"><Lanes track="t" id="l2"><Clips id="cs">
<Clip time="0" duration="0.5"><Audio channels="1" sampleRate="48000" duration="0.5" id="a1"><File path="{secret}" external="true"/></Audio></Clip>
<Clip time="1" duration="0.5"><Audio channels="1" sampleRate="48000" duration="0.5" id="a2"><File path="../secret.wav"/></Audio></Clip>
</Clips></Lanes></Lanes></Arrangement></Project>"""
    path = _archive(tmp_path / "evil.dawproject", xml, {"../secret.wav": b"RIFF"})
    document, files = import_dawproject(path, extract_dir=tmp_path / "out")
    assert files == {}
    assert document["tracks"][0]["clips"] == []
    assert not (tmp_path / "secret.wav.1").exists()
