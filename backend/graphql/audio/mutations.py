from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from backend.audio import services as audio
from backend.audio.operations import KINDS
from backend.core.errors import DomainError
from backend.core.i18n import t
from backend.graphql.audio.types import Asset, ExportFormat, Project, ProjectOperationKind, Render
from backend.graphql.audio.types import Export as ExportType
from backend.graphql.errors import FieldError, field_errors, returns_payload
from backend.graphql.permissions import CanWrite

_OPERATION_HELP = (
    "One project operation: `kind` and its other fields in `payload` (snake_case, as stored in the log). "
    "Fields per kind: set_project {field: title|tempo|time_signature|sample_rate, value}; "
    "add_track {index, track: {id: 'trk_…', name, color, gain_db, pan, mute, solo, effects, clips}}; "
    "remove_track {track_id}; move_track {track_id, from_index, to_index}; "
    "set_track {track_id, field: name|color|gain_db|pan|mute|solo, value}; "
    "add_effect {target: track id or 'master', index, effect: {id: 'fx_…', type, params, bypass}}; "
    "remove_effect {target, effect_id}; move_effect {target, effect_id, from_index, to_index}; "
    "set_effect_param {target, effect_id, param, value}; set_effect_bypass {target, effect_id, bypass}; "
    "add_clip {track_id, clip: {id: 'clp_…', asset_id, start, offset, length, gain_db, fade_in, fade_out}}; "
    "move_clip {track_id, clip_id, to_track_id, start}; trim_clip {track_id, clip_id, offset, length}; "
    "set_clip {track_id, clip_id, field: gain_db|fade_in|fade_out, value}; remove_clip {track_id, clip_id}; "
    "set_master {field: gain_db|mastering, value}. Ids are chosen by the client. Times in seconds."
)
assert len(KINDS) == len(ProjectOperationKind)


@strawberry.input(description=_OPERATION_HELP)
class ProjectOperationInput:
    kind: ProjectOperationKind
    payload: JSON = strawberry.field(default_factory=dict)


@strawberry.input
class CreateProjectInput:
    title: str
    tempo: float = 120.0
    time_signature: list[int] = strawberry.field(default_factory=lambda: [4, 4])
    sample_rate: int = 48000


@strawberry.input
class RenderSettingsInput:
    stems: bool = False


@strawberry.input
class ExportSettingsInput:
    format: ExportFormat
    sample_rate: int = 48000
    bit_depth: int | None = None
    quality: str | None = strawberry.field(
        default=None, description='MP3: "320" or "V0"; OGG: "192" or "320".'
    )
    title: str = ""
    artist: str = ""


@strawberry.type
class AssetPayload:
    asset: Asset | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class ProjectPayload:
    project: Project | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class ApplyProjectOperationsPayload:
    project: Project | None = None
    revision: int | None = strawberry.field(default=None, description="The new revision, on success.")
    current_revision: int | None = strawberry.field(
        default=None, description="On STALE_REVISION: the revision to rebase onto."
    )
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class RenderPayload:
    render: Render | None = None
    cached: bool = strawberry.field(default=False, description="True when an existing mix answered.")
    errors: list[FieldError] = strawberry.field(default_factory=list)


@strawberry.type
class ExportPayload:
    export: ExportType | None = None
    errors: list[FieldError] = strawberry.field(default_factory=list)


def _batch_errors(exc: DomainError, locale: str) -> list[FieldError]:
    """Say which change of the batch was refused (1-based), before what was wrong with it."""
    errors = field_errors(exc, locale)
    number = exc.params.get("number")
    if number is not None:
        for error in errors:
            error.message = t("audio.errors.in_operation", locale, number=number, message=error.message)
    return errors


def _operation(item: ProjectOperationInput) -> Any:
    payload = item.payload if isinstance(item.payload, dict) else {}
    return {**payload, "kind": item.kind.value}


@strawberry.type
class AudioMutations:
    @strawberry.mutation(
        permission_classes=[CanWrite], description="Turn an upload (POST /uploads) into an asset."
    )
    @returns_payload(AssetPayload)
    async def create_asset(
        self, info: Info, upload_id: strawberry.ID, name: str | None = None
    ) -> AssetPayload:
        return AssetPayload(
            asset=Asset(row=await audio.create_asset(info.context.actor, str(upload_id), name))
        )

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(DeletePayload)
    async def delete_asset(self, info: Info, id: strawberry.ID) -> DeletePayload:
        row = await audio.delete_asset(info.context.actor, str(id))
        return DeletePayload(deleted_id=strawberry.ID(row["public_id"]))

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(ProjectPayload)
    async def create_project(self, info: Info, input: CreateProjectInput) -> ProjectPayload:
        row = await audio.create_project(
            info.context.actor,
            input.title,
            tempo=input.tempo,
            time_signature=list(input.time_signature),
            sample_rate=input.sample_rate,
        )
        return ProjectPayload(project=Project(row=row))

    @strawberry.mutation(
        permission_classes=[CanWrite], description="Rename: a set_project operation on the latest revision."
    )
    @returns_payload(ProjectPayload)
    async def rename_project(self, info: Info, id: strawberry.ID, title: str) -> ProjectPayload:
        committed = await audio.apply_operations(
            info.context.actor, str(id), None, [{"kind": "set_project", "field": "title", "value": title}]
        )
        return ProjectPayload(project=Project(row=committed.project))

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(DeletePayload)
    async def delete_project(self, info: Info, id: strawberry.ID) -> DeletePayload:
        row = await audio.delete_project(info.context.actor, str(id))
        return DeletePayload(deleted_id=strawberry.ID(row["public_id"]))

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Apply a batch of operations on `baseRevision`, all or nothing (at most 200).",
    )
    async def apply_project_operations(
        self,
        info: Info,
        project_id: strawberry.ID,
        base_revision: int,
        operations: list[ProjectOperationInput],
    ) -> ApplyProjectOperationsPayload:
        try:
            committed = await audio.apply_operations(
                info.context.actor, str(project_id), base_revision, [_operation(o) for o in operations]
            )
        except audio.StaleRevision as exc:
            return ApplyProjectOperationsPayload(
                current_revision=exc.current, errors=field_errors(exc, info.context.locale)
            )
        except DomainError as exc:
            return ApplyProjectOperationsPayload(errors=_batch_errors(exc, info.context.locale))
        return ApplyProjectOperationsPayload(
            project=Project(row=committed.project), revision=committed.project["revision"]
        )

    @strawberry.mutation(permission_classes=[CanWrite], description="Mix the current revision (cached).")
    @returns_payload(RenderPayload)
    async def render_project(
        self, info: Info, project_id: strawberry.ID, settings: RenderSettingsInput | None = None
    ) -> RenderPayload:
        chosen = audio.RenderSettings(stems=bool(settings and settings.stems))
        row = await audio.request_render(info.context.actor, str(project_id), chosen)
        return RenderPayload(render=Render(row=row), cached=row["status"] == "done")

    @strawberry.mutation(permission_classes=[CanWrite])
    @returns_payload(RenderPayload)
    async def cancel_render(self, info: Info, id: strawberry.ID) -> RenderPayload:
        return RenderPayload(render=Render(row=await audio.cancel_render(info.context.actor, str(id))))

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Export the current revision; UPGRADE_REQUIRED names a feature the plan lacks.",
    )
    @returns_payload(ExportPayload)
    async def export_project(
        self, info: Info, project_id: strawberry.ID, settings: ExportSettingsInput
    ) -> ExportPayload:
        row = await audio.request_export(
            info.context.actor,
            str(project_id),
            audio.ExportSettings(
                format=settings.format.value,
                sample_rate=settings.sample_rate,
                bit_depth=settings.bit_depth,
                quality=settings.quality,
                title=settings.title,
                artist=settings.artist,
            ),
        )
        return ExportPayload(export=ExportType(row=row))
