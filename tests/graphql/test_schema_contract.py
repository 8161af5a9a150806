"""The exported SDL is the contract with partners: it must match the live schema."""

from __future__ import annotations

from pathlib import Path

from backend.graphql.schema import schema_sdl
from graphql import parse
from web.operations import OPERATIONS_DIR, operations

REPO = Path(__file__).resolve().parents[2]


def test_exported_schema_matches_the_live_schema():
    exported = (REPO / "graphql" / "schema.graphql").read_text()
    assert exported == schema_sdl(), (
        "graphql/schema.graphql is stale: run `make schema` (cadenza export-schema)"
    )


def test_every_page_operation_is_named_unique_and_valid():
    from backend.graphql.schema import get_schema
    from graphql import validate

    found = operations()
    assert found, "no operations found"
    schema = get_schema()._schema
    for path in OPERATIONS_DIR.rglob("*.graphql"):
        errors = validate(schema, parse(path.read_text()))
        assert not errors, f"{path}: {errors}"


def test_partner_examples_are_valid_against_the_schema():
    from backend.graphql.schema import get_schema
    from graphql import validate

    examples = sorted((REPO / "graphql" / "examples").glob("*.graphql"))
    assert examples
    for path in examples:
        assert not validate(get_schema()._schema, parse(path.read_text())), path
