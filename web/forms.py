"""Small helpers shared by page handlers that post forms."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from litestar import Request
from litestar.response import Redirect

from web.operations import OpResult


async def form_data(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    return {k: (v if isinstance(v, str) else "") for k, v in form.items() if k != "_csrf_token"}


def form_list(form: Any, name: str) -> list[str]:
    """Every value of a repeated field (checkboxes); empty when none was sent."""
    if not hasattr(form, "getall"):
        return []
    return [v for v in form.getall(name, []) if isinstance(v, str)]


def payload(result: OpResult, field: str) -> dict[str, Any]:
    """The mutation payload at ``data[field]``; raises for request-level errors."""
    result.raise_for_errors()
    assert result.data is not None
    return result.data[field]


def split_errors(errors: list[dict[str, Any]]) -> tuple[dict[str, str], list[str]]:
    """Field errors by field name, and the rest as general messages."""
    by_field: dict[str, str] = {}
    general: list[str] = []
    for error in errors:
        if error.get("field"):
            by_field.setdefault(error["field"], error["message"])
        else:
            general.append(error["message"])
    return by_field, general


def safe_next(value: str | None, default: str = "/") -> str:
    """Only same-site relative paths: never an open redirect."""
    if not value:
        return default
    parsed = urlparse(value)
    if parsed.scheme or parsed.netloc or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def redirect(path: str) -> Redirect:
    return Redirect(path=path, status_code=303)
