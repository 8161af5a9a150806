"""Piccolo's configuration: the engine from settings, and one app per domain, found on disk."""

from __future__ import annotations

import pkgutil
from pathlib import Path

from piccolo.conf.apps import AppRegistry

from backend.core.db import make_engine

DB = make_engine()


def _domain_apps() -> list[str]:
    root = Path(__file__).parent
    apps = ["backend.core.piccolo_app"]
    for module in sorted(pkgutil.iter_modules([str(root)]), key=lambda m: m.name):
        if module.ispkg and module.name != "core" and (root / module.name / "piccolo_app.py").exists():
            apps.append(f"backend.{module.name}.piccolo_app")
    return apps


APP_REGISTRY = AppRegistry(apps=_domain_apps())
