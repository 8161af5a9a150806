"""Cadenza's audio engine: pure audio code (no database, no Redis, no GraphQL).

The API the domain calls is re-exported here; ``README.md`` beside this file describes it, the
process model and the limits.
"""

from backend.audio.engine.effects import EFFECTS, EffectSpec, ParamSpec, build_plugin, validate_effect
from backend.audio.engine.errors import EngineError, IngestError, RenderCancelled
from backend.audio.engine.formats import sniff
from backend.audio.engine.limits import DEFAULT_LIMITS, EngineLimits
from backend.audio.engine.runner import (
    ExportResult,
    IngestResult,
    RenderResult,
    export,
    export_dawproject,
    export_stems_zip,
    import_dawproject,
    ingest,
    render,
    warm_up,
)

__all__ = [
    "DEFAULT_LIMITS",
    "EFFECTS",
    "EffectSpec",
    "EngineError",
    "EngineLimits",
    "ExportResult",
    "IngestError",
    "IngestResult",
    "ParamSpec",
    "RenderCancelled",
    "RenderResult",
    "build_plugin",
    "export",
    "export_dawproject",
    "export_stems_zip",
    "import_dawproject",
    "ingest",
    "render",
    "sniff",
    "validate_effect",
    "warm_up",
]
