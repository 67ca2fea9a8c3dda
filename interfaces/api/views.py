"""Read models of one model, directive or appeal, built from the recorded aggregates."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from application.service import Regledger
from domain.actor import Actor
from domain.appeal import Appeal, AppealStatus, Outcome, Side, Signatory, SubmissionKind
from domain.directive import Directive, DirectiveState
from domain.model import Model
from domain.scope import Scope
from interfaces.api.visibility import sees_confidential


class ModelAct(BaseModel):
    """One of the provider's own suspensions or restorations."""

    action: Literal["suspended", "restored"]
    scope: Scope
    effective_at: datetime


class ModelView(BaseModel):
    """A model and the provider's acts on it."""

    id: UUID
    provider: str
    name: str
    description: str
    registered_at: datetime
    retired: bool
    acts: list[ModelAct]
    version: int


class DirectiveView(BaseModel):
    """A directive as it stands now."""

    id: UUID
    reference: str
    regulator: str
    provider: str
    model_ids: list[UUID]
    scope: Scope
    authority: str
    grounds: str
    effective_at: datetime
    expires_at: datetime | None
    state: DirectiveState = Field(description="Computed at the time of the request.")
    stayed: bool
    open_appeal_id: UUID | None
    version: int


class ProposalView(BaseModel):
    """One numbered proposal of the negotiation."""

    number: int
    side: Side
    terms: str
    scope: Scope | None
    status: Literal["open", "superseded", "accepted", "rejected"]


class SubmissionView(BaseModel):
    """One filing; a confidential one is redacted for those who may not see it."""

    number: int
    kind: SubmissionKind
    submitter: Actor
    effective_at: datetime
    confidential: bool
    redacted: bool
    title: str | None
    summary: str | None
    signatories: list[Signatory]
    document_sha256: str | None


class AppealView(BaseModel):
    """An appeal, its negotiation and its filings."""

    id: UUID
    directive_id: UUID
    appellant: str
    regulator: str
    grounds: str
    requested_relief: str
    stay_requested: bool
    stay: Literal["granted", "denied"] | None
    status: AppealStatus
    filed_at: datetime
    respond_by: datetime
    deadlines_passed: list[str]
    proposals: list[ProposalView]
    submissions: list[SubmissionView]
    outcome: Outcome | None
    version: int


def model_view(model: Model) -> ModelView:
    """The read model of one model."""
    return ModelView(
        id=model.id,
        provider=model.provider,
        name=model.name,
        description=model.description,
        registered_at=model.registered_at,
        retired=model.retired,
        acts=[
            ModelAct(
                action="suspended" if act.suspended else "restored",
                scope=act.scope,
                effective_at=act.effective_at,
            )
            for act in model.acts
        ],
        version=model.version,
    )


def directive_view(directive: Directive, now: datetime) -> DirectiveView:
    """The read model of one directive, its state computed at `now`."""
    return DirectiveView(
        id=directive.id,
        reference=directive.reference,
        regulator=directive.regulator,
        provider=directive.provider,
        model_ids=list(directive.model_ids),
        scope=directive.scope,
        authority=directive.authority,
        grounds=directive.grounds,
        effective_at=directive.effective_at,
        expires_at=directive.expires_at,
        state=directive.state(now),
        stayed=directive.stayed,
        open_appeal_id=directive.open_appeal_id,
        version=directive.version,
    )


def submission_view(event: Any, appeal: Appeal, viewer: Actor | None) -> SubmissionView:
    """One SubmissionAdded event as a filing, redacted unless the viewer may see it."""
    hidden = event.confidential and not sees_confidential(
        viewer, appeal.appellant, appeal.regulator, event.actor
    )
    return SubmissionView(
        number=event.number,
        kind=SubmissionKind(event.kind),
        submitter=event.actor,
        effective_at=event.effective_at,
        confidential=event.confidential,
        redacted=hidden,
        title=None if hidden else event.title,
        summary=None if hidden else event.summary,
        signatories=[] if hidden else list(event.signatories),
        document_sha256=None if hidden else event.document_sha256,
    )


def appeal_view(app: Regledger, appeal_id: UUID, viewer: Actor | None) -> AppealView:
    """The read model of one appeal, as far as the viewer may see it."""
    appeal = app.get_appeal(appeal_id)
    events = [e for e in app.aggregate_events(appeal_id) if e.originator_version <= appeal.version]
    submissions = [
        submission_view(e, appeal, viewer) for e in events if isinstance(e, Appeal.SubmissionAdded)
    ]
    return AppealView(
        id=appeal.id,
        directive_id=appeal.directive_id,
        appellant=appeal.appellant,
        regulator=appeal.regulator,
        grounds=appeal.grounds,
        requested_relief=appeal.requested_relief,
        stay_requested=appeal.stay_requested,
        stay=appeal.stay,  # type: ignore[arg-type]
        status=appeal.status,
        filed_at=appeal.filed_at,
        respond_by=appeal.respond_by,
        deadlines_passed=sorted(appeal.lapsed),
        proposals=[
            ProposalView(
                number=p.number,
                side=p.side,
                terms=p.terms,
                scope=p.scope,
                status=p.status,  # type: ignore[arg-type]
            )
            for p in appeal.proposals
        ],
        submissions=submissions,
        outcome=appeal.outcome,
        version=appeal.version,
    )
