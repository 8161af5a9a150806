from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from backend.audio import services as audio
from backend.core.i18n import t
from backend.graphql.audio.types import (
    Asset,
    AssetStatus,
    EffectParamSpec,
    EffectType,
    Export,
    Project,
    Render,
    StorageUsage,
)
from backend.graphql.pagination import Connection, connection
from backend.graphql.permissions import IsAuthenticated


def effect_type(spec: Any, locale: str) -> EffectType:
    return EffectType(
        type=spec.type,
        label=t(spec.label_key, locale),
        params=[
            EffectParamSpec(
                name=p.name,
                min=None if p.choices else p.min,
                max=None if p.choices else p.max,
                default=p.choices[int(p.default)] if p.choices else p.default,
                unit=p.unit,
                label=t(p.label_key(spec.type), locale),
                choices=list(p.choices),
            )
            for p in spec.params
        ],
    )


@strawberry.type
class AudioQueries:
    @strawberry.field(permission_classes=[IsAuthenticated], description="Your library, newest first.")
    async def assets(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: AssetStatus | None = None,
    ) -> Connection[Asset]:
        page = await audio.list_assets(info.context.actor, first, after, status.value if status else None)
        return connection(page, Asset)

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def asset(self, info: Info, id: strawberry.ID) -> Asset:
        return Asset(row=await audio.get_asset(info.context.actor, str(id)))

    @strawberry.field(permission_classes=[IsAuthenticated], description="Your projects, newest first.")
    async def projects(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Project]:
        return connection(await audio.list_projects(info.context.actor, first, after), Project)

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def project(self, info: Info, id: strawberry.ID) -> Project:
        return Project(row=await audio.get_project(info.context.actor, str(id)))

    @strawberry.field(permission_classes=[IsAuthenticated])
    async def render(self, info: Info, id: strawberry.ID) -> Render:
        return Render(row=await audio.get_render(info.context.actor, str(id)))

    @strawberry.field(name="export", permission_classes=[IsAuthenticated])
    async def export_(self, info: Info, id: strawberry.ID) -> Export:
        return Export(row=await audio.get_export(info.context.actor, str(id)))

    @strawberry.field(description="The effect menu: every plugin and its parameters' ranges.")
    def effect_types(self, info: Info) -> list[EffectType]:
        return [effect_type(spec, info.context.locale) for spec in audio.effect_menu().values()]

    @strawberry.field(permission_classes=[IsAuthenticated], description="Library bytes used and allowed.")
    async def audio_storage(self, info: Info) -> StorageUsage:
        status = await audio.storage_status(info.context.actor)
        return StorageUsage(used_bytes=float(status["used"]), limit_bytes=float(status["limit"]))
