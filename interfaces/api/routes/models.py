"""Models: registration, the provider's suspensions and restorations, retirement, reads."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from interfaces.api.auth import App, Viewer
from interfaces.api.commands import Command, command_route
from interfaces.api.history import History, history
from interfaces.api.reads import etag, read_route
from interfaces.api.schemas import ModelRegistration, Restoration, Retirement, Suspension
from interfaces.api.views import ModelView, model_view

router = APIRouter(prefix="/v1/models", tags=["models"])


@router.post("", **command_route(created=True))
async def register_model(body: ModelRegistration, cmd: Command) -> JSONResponse:
    """Register a model of the calling provider (provider)."""
    return await cmd.submit(
        body, lambda ctx: cmd.app.register_model(ctx, body.name, body.description), router.prefix
    )


@router.post("/{model_id}/suspensions", **command_route())
async def suspend_model(model_id: UUID, body: Suspension, cmd: Command) -> JSONResponse:
    """Take the model offline for a scope (its provider)."""
    return await cmd.submit(
        body,
        lambda ctx: cmd.app.suspend_model(
            ctx, model_id, body.scope, body.reason, body.directive_id, body.appeal_id
        ),
    )


@router.post("/{model_id}/restorations", **command_route())
async def restore_model(model_id: UUID, body: Restoration, cmd: Command) -> JSONResponse:
    """Bring the model back for a suspended scope (its provider)."""
    return await cmd.submit(
        body,
        lambda ctx: cmd.app.restore_model(
            ctx, model_id, body.scope, body.reason, body.directive_id, body.appeal_id
        ),
    )


@router.post("/{model_id}/retirement", **command_route())
async def retire_model(model_id: UUID, body: Retirement, cmd: Command) -> JSONResponse:
    """Retire the model for good (its provider)."""
    return await cmd.submit(body, lambda ctx: cmd.app.retire_model(ctx, model_id, body.reason))


@router.get("/{model_id}", **read_route(ModelView))
def get_model(model_id: UUID, app: App, viewer: Viewer, response: Response) -> ModelView:
    """One model with its provider's acts (anyone)."""
    view = model_view(app.get_model(model_id))
    etag(response, view.version)
    return view


@router.get("/{model_id}/history", **read_route(History))
def model_history(model_id: UUID, app: App, viewer: Viewer, response: Response) -> History:
    """The model's events in version order (anyone)."""
    record = history(app, "model", model_id, viewer.actor if viewer else None)
    etag(response, record.version)
    return record
