"""Cadenza's domains. Piccolo finds its configuration here; set before any table is imported."""

import os

os.environ.setdefault("PICCOLO_CONF", "backend.piccolo_conf")
