"""The model registry: versioned rows in the database, artifacts and manifests in media storage.

``intelligence/models/<model id>/model.json.gz`` holds the counts (JSON, never pickle: an artifact
is data, not code) and ``manifest.json`` beside it the same manifest as the database row, so a
model can be audited from storage alone. Loaded models are kept in a small per-process cache.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from backend.core.storage import storage
from backend.intelligence import queries
from backend.intelligence.markov import MarkovModel, Mixture, TokenModel

_CACHE: OrderedDict[str, TokenModel] = OrderedDict()
_CACHE_SIZE = 32


def artifact_key(model_public_id: str) -> str:
    return f"intelligence/models/{model_public_id}/model.json.gz"


def manifest_key(model_public_id: str) -> str:
    return f"intelligence/models/{model_public_id}/manifest.json"


async def save_artifact(model_public_id: str, model: MarkovModel, manifest: dict[str, Any]) -> str:
    key = artifact_key(model_public_id)
    await storage().save_bytes(key, await asyncio.to_thread(model.to_bytes))
    await storage().save_bytes(manifest_key(model_public_id), json.dumps(manifest, indent=1).encode())
    return key


def _read(key: str) -> MarkovModel:
    return MarkovModel.from_bytes(storage().local_path(key).read_bytes())


@dataclass(frozen=True, slots=True)
class Loaded:
    row: dict[str, Any]
    model: TokenModel
    bar: int
    metre: str
    profile: dict[str, Any]


async def load(row: dict[str, Any]) -> Loaded:
    """The usable model for a ready row (a personal model comes back blended with its base)."""
    public_id = row["public_id"]
    cached = _CACHE.get(public_id)
    model: TokenModel
    if cached is not None:
        model = cached
    else:
        own = await asyncio.to_thread(_read, row["artifact_key"])
        manifest = row["manifest"]
        if row["kind"] == "personal":
            base_row = await queries.model_by_public_id(manifest["base_model"])
            if base_row is None:
                raise LookupError(f"base model {manifest['base_model']} is gone")
            base = (await load(base_row)).model
            model = Mixture(own, base, float(manifest["weight"]))
        else:
            model = own
        _CACHE[public_id] = model
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(public_id)
    manifest = row["manifest"]
    return Loaded(
        row=row, model=model, bar=int(manifest["bar"]), metre=manifest["metre"], profile=manifest["profile"]
    )


def forget(model_public_id: str) -> None:
    _CACHE.pop(model_public_id, None)
