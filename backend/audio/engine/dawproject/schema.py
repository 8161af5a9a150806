"""The DAWproject 1.0 schema (vendored here, MIT, from bitwig/dawproject) and validation against it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from backend.audio.engine.errors import EngineError

HERE = Path(__file__).resolve().parent
PROJECT_XSD = HERE / "Project.xsd"
METADATA_XSD = HERE / "MetaData.xsd"


@lru_cache(maxsize=1)
def schemas() -> tuple[Any, Any]:
    import xmlschema  # ~1 s to import and compile: only where validation happens (children, tests)

    return xmlschema.XMLSchema(str(PROJECT_XSD)), xmlschema.XMLSchema(str(METADATA_XSD))


def errors(project_xml: bytes, metadata_xml: bytes | None = None) -> list[str]:
    """Every schema violation, as text (empty when both documents are valid)."""
    project_schema, metadata_schema = schemas()
    found = [str(e.reason or e) for e in project_schema.iter_errors(project_xml.decode("utf-8"))]
    if metadata_xml is not None:
        found += [str(e.reason or e) for e in metadata_schema.iter_errors(metadata_xml.decode("utf-8"))]
    return found


def validate(project_xml: bytes, metadata_xml: bytes | None = None) -> None:
    problems = errors(project_xml, metadata_xml)
    if problems:
        raise EngineError("audio.errors.dawproject_invalid", field=None, detail=problems[0][:300])
