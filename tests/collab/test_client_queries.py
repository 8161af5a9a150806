"""The operations collab.js sends are valid against the schema (a browser can't tell us otherwise:
a union field with two types would only fail in the page)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backend.graphql.schema import get_schema
from graphql import parse, validate

SCRIPT = Path(__file__).resolve().parents[2] / "web" / "static" / "collab.js"


@pytest.fixture(autouse=True)
def clean_slate() -> None:
    """No tables or keys involved."""


def _operations() -> dict[str, str]:
    text = SCRIPT.read_text()
    found = {}
    events = re.search(r"var EVENTS = \[(.*?)\]\.join", text, re.S).group(1)
    found["EVENTS"] = "\n".join(re.findall(r'"((?:[^"\\]|\\.)*)"', events))
    for name in ("SUBMIT", "PRESENCE", "SIGNAL"):
        body = re.search(rf"var {name} = (.*?);\n", text, re.S).group(1)
        found[name] = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', body))
    return found


def test_every_operation_of_the_page_script_validates_against_the_schema() -> None:
    schema = get_schema()._schema  # the graphql-core schema Strawberry built
    operations = _operations()
    assert set(operations) == {"EVENTS", "SUBMIT", "PRESENCE", "SIGNAL"}
    for name, text in operations.items():
        errors = validate(schema, parse(text))
        assert errors == [], (name, [e.message for e in errors])
