"""Appeals: filing, submissions, stay, negotiation, decision, withdrawal, and reads."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Response
from fastapi.responses import JSONResponse

from interfaces.api.auth import App, Viewer
from interfaces.api.commands import Command, command_route
from interfaces.api.history import History, history
from interfaces.api.reads import etag, read_route
from interfaces.api.schemas import (
    Acceptance,
    AppealFiling,
    DecisionFiling,
    ProposalFiling,
    Rejection,
    StayRuling,
    SubmissionFiling,
    Withdrawal,
)
from interfaces.api.views import AppealView, appeal_view

router = APIRouter(prefix="/v1/appeals", tags=["appeals"])

ProposalNo = Annotated[int, Path(ge=1, le=1_000_000, description="The proposal's number.")]


@router.post("", **command_route(created=True))
async def file_appeal(body: AppealFiling, cmd: Command) -> JSONResponse:
    """Challenge a directive (the provider it is addressed to); If-Match is the directive's."""
    return await cmd.submit(
        body,
        lambda ctx: cmd.app.file_appeal(
            ctx, body.directive_id, body.grounds, body.requested_relief, body.stay_requested
        ),
        router.prefix,
    )


@router.post("/{appeal_id}/submissions", **command_route())
async def add_submission(appeal_id: UUID, body: SubmissionFiling, cmd: Command) -> JSONResponse:
    """File evidence, a response or an amicus letter (any authenticated principal)."""
    return await cmd.submit(
        body,
        lambda ctx: cmd.app.add_submission(
            ctx,
            appeal_id,
            body.kind,
            body.title,
            body.summary,
            body.signatories,
            body.confidential,
            body.document_sha256,
        ),
    )


@router.post("/{appeal_id}/stay", **command_route())
async def rule_on_stay(appeal_id: UUID, body: StayRuling, cmd: Command) -> JSONResponse:
    """Grant (staying the directive) or deny a requested stay (regulator or adjudicator)."""
    return await cmd.submit(
        body, lambda ctx: cmd.app.rule_on_stay(ctx, appeal_id, body.granted, body.reason)
    )


@router.post("/{appeal_id}/proposals", **command_route())
async def make_proposal(appeal_id: UUID, body: ProposalFiling, cmd: Command) -> JSONResponse:
    """Put terms on the table (the provider or the regulator of the case)."""
    return await cmd.submit(
        body,
        lambda ctx: cmd.app.make_proposal(ctx, appeal_id, body.terms, body.proposed_scope),
    )


@router.post("/{appeal_id}/proposals/{proposal_no}/acceptance", **command_route())
async def accept_proposal(
    appeal_id: UUID, proposal_no: ProposalNo, body: Acceptance, cmd: Command
) -> JSONResponse:
    """Agree to the latest proposal (the other party)."""
    return await cmd.submit(body, lambda ctx: cmd.app.accept_proposal(ctx, appeal_id, proposal_no))


@router.post("/{appeal_id}/proposals/{proposal_no}/rejection", **command_route())
async def reject_proposal(
    appeal_id: UUID, proposal_no: ProposalNo, body: Rejection, cmd: Command
) -> JSONResponse:
    """Turn down the latest proposal (the other party)."""
    return await cmd.submit(
        body, lambda ctx: cmd.app.reject_proposal(ctx, appeal_id, proposal_no, body.reason)
    )


@router.post("/{appeal_id}/decision", **command_route())
async def decide_appeal(appeal_id: UUID, body: DecisionFiling, cmd: Command) -> JSONResponse:
    """Decide the appeal; the directive follows in the same transaction (issuer/adjudicator)."""
    return await cmd.submit(
        body,
        lambda ctx: cmd.app.decide_appeal(
            ctx, appeal_id, body.outcome, body.reasons, body.new_scope
        ),
    )


@router.post("/{appeal_id}/withdrawal", **command_route())
async def withdraw_appeal(appeal_id: UUID, body: Withdrawal, cmd: Command) -> JSONResponse:
    """Abandon the challenge (the appellant)."""
    return await cmd.submit(body, lambda ctx: cmd.app.withdraw_appeal(ctx, appeal_id, body.reason))


@router.get("/{appeal_id}", **read_route(AppealView))
def get_appeal(appeal_id: UUID, app: App, viewer: Viewer, response: Response) -> AppealView:
    """One appeal; confidential filings are shown to parties, adjudicators, auditors (anyone)."""
    view = appeal_view(app, appeal_id, viewer.actor if viewer else None)
    etag(response, view.version)
    return view


@router.get("/{appeal_id}/history", **read_route(History))
def appeal_history(appeal_id: UUID, app: App, viewer: Viewer, response: Response) -> History:
    """The appeal's events; confidential filings redacted as in the appeal itself (anyone)."""
    record = history(app, "appeal", appeal_id, viewer.actor if viewer else None)
    etag(response, record.version)
    return record
