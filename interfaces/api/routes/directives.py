"""Directives: issue, amend, rescind, and read."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from interfaces.api.auth import App, Viewer
from interfaces.api.commands import Command, command_route
from interfaces.api.history import History, history
from interfaces.api.reads import etag, read_route
from interfaces.api.schemas import Amendment, DirectiveIssue, Rescission
from interfaces.api.views import DirectiveView, directive_view

router = APIRouter(prefix="/v1/directives", tags=["directives"])


@router.post("", **command_route(created=True))
async def issue_directive(body: DirectiveIssue, cmd: Command) -> JSONResponse:
    """Order a provider to restrict access to some of its models (regulator)."""
    return await cmd.submit(
        body,
        lambda ctx: cmd.app.issue_directive(
            ctx,
            body.reference,
            body.provider,
            body.model_ids,
            body.scope,
            body.authority,
            body.grounds,
            body.expires_at,
        ),
        router.prefix,
    )


@router.post("/{directive_id}/amendments", **command_route())
async def amend_directive(directive_id: UUID, body: Amendment, cmd: Command) -> JSONResponse:
    """Narrow or widen the directive: scope, models or expiry (the issuing regulator)."""
    return await cmd.submit(
        body,
        lambda ctx: cmd.app.amend_directive(
            ctx, directive_id, body.reason, body.scope, body.model_ids, body.expires_at
        ),
    )


@router.post("/{directive_id}/rescission", **command_route())
async def rescind_directive(directive_id: UUID, body: Rescission, cmd: Command) -> JSONResponse:
    """Withdraw the directive for good (the issuing regulator)."""
    return await cmd.submit(
        body, lambda ctx: cmd.app.rescind_directive(ctx, directive_id, body.reason)
    )


@router.get("/{directive_id}", **read_route(DirectiveView))
def get_directive(
    directive_id: UUID, app: App, viewer: Viewer, response: Response
) -> DirectiveView:
    """One directive, its state computed now (anyone)."""
    view = directive_view(app.get_directive(directive_id), app.clock())
    etag(response, view.version)
    return view


@router.get("/{directive_id}/history", **read_route(History))
def directive_history(directive_id: UUID, app: App, viewer: Viewer, response: Response) -> History:
    """The directive's events in version order (anyone)."""
    record = history(app, "directive", directive_id, viewer.actor if viewer else None)
    etag(response, record.version)
    return record
