"""Genre effect presets: a chain per part, written in the studio's effect vocabulary.

The chains are not baked into the audio: they go on the studio tracks as ordinary effects (the
studio's engine runs them with pedalboard), so a creator can open the project and change them.
The same chains drive the output's own mixdown, so what plays on the result page is what the
studio would render.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

Chain = tuple[tuple[str, dict[str, float]], ...]


def _c(*effects: tuple[str, dict[str, float]]) -> Chain:
    return tuple(effects)


_COMMON_BASS = _c(("highpass", {"cutoff_hz": 35}), ("compressor", {"threshold_db": -20, "ratio": 3}))
_COMMON_DRUMS = _c(("highpass", {"cutoff_hz": 40}), ("compressor", {"threshold_db": -18, "ratio": 4}))

CHAINS: MappingProxyType[str, MappingProxyType[str, Chain]] = MappingProxyType(
    {
        # A pub session: close, bright, a small room.
        "session": MappingProxyType(
            {
                "melody": _c(
                    ("highpass", {"cutoff_hz": 180}),
                    ("compressor", {"threshold_db": -20, "ratio": 3}),
                    ("reverb", {"room_size": 0.25, "wet_level": 0.18, "dry_level": 0.8}),
                ),
                "harmony": _c(
                    ("highpass", {"cutoff_hz": 150}), ("reverb", {"room_size": 0.25, "wet_level": 0.15})
                ),
                "bass": _COMMON_BASS,
                "drums": _COMMON_DRUMS,
            }
        ),
        # A stone church: long reverb on everything, no compression.
        "church": MappingProxyType(
            {
                "melody": _c(
                    ("reverb", {"room_size": 0.9, "damping": 0.3, "wet_level": 0.4, "dry_level": 0.6})
                ),
                "harmony": _c(
                    ("reverb", {"room_size": 0.9, "damping": 0.3, "wet_level": 0.45, "dry_level": 0.5})
                ),
                "bass": _c(
                    ("lowpass", {"cutoff_hz": 2500}), ("reverb", {"room_size": 0.85, "wet_level": 0.3})
                ),
                "drums": _c(("reverb", {"room_size": 0.9, "wet_level": 0.4})),
            }
        ),
        # A parlour: warm and dry.
        "parlour": MappingProxyType(
            {
                "melody": _c(
                    ("high_shelf", {"cutoff_hz": 6000, "gain_db": -3}), ("reverb", {"room_size": 0.35})
                ),
                "harmony": _c(
                    ("lowpass", {"cutoff_hz": 8000}), ("reverb", {"room_size": 0.35, "wet_level": 0.2})
                ),
                "bass": _COMMON_BASS,
                "drums": _COMMON_DRUMS,
            }
        ),
        # A concert hall: wide chorus on the accompaniment, a medium-long tail.
        "hall": MappingProxyType(
            {
                "melody": _c(("reverb", {"room_size": 0.6, "wet_level": 0.3})),
                "harmony": _c(
                    ("chorus", {"rate_hz": 0.8, "depth": 0.3, "mix": 0.4}), ("reverb", {"room_size": 0.6})
                ),
                "bass": _COMMON_BASS,
                "drums": _c(
                    ("highpass", {"cutoff_hz": 60}), ("reverb", {"room_size": 0.5, "wet_level": 0.2})
                ),
            }
        ),
    }
)

# Pan and level per part: the melody in front, accompaniment either side.
MIX = MappingProxyType(
    {
        "melody": {"gain_db": 0.0, "pan": 0.0},
        "harmony": {"gain_db": -6.0, "pan": -0.3},
        "bass": {"gain_db": -3.0, "pan": 0.1},
        "drums": {"gain_db": -8.0, "pan": 0.25},
    }
)


def studio_effects(chain_name: str, part: str, id_of: Any) -> list[dict[str, Any]]:
    """The chain as studio effect objects ``{id, type, params, bypass}``."""
    chain = CHAINS.get(chain_name, CHAINS["parlour"])[part]
    return [
        {"id": id_of("fx"), "type": kind, "params": dict(params), "bypass": False} for kind, params in chain
    ]
