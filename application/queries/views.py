"""View models the read side returns: plain, immutable, JSON-ready values, never aggregates."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.scope import Scope, Segment

T = TypeVar("T")

LegalStatus = Literal["restricted", "unrestricted"]
OperationalStatus = Literal["available", "suspended"]
Compliance = Literal["compliant", "over_compliant", "non_compliant"]
DirectiveStateName = Literal["pending", "in_force", "stayed", "rescinded", "expired"]
BasisKind = Literal["directive", "stay", "appeal", "provider_act"]


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class BasisItem(_View):
    """One reason behind an access decision, with the log positions of its events."""

    kind: BasisKind
    positions: list[int]
    directive_id: UUID | None = None
    reference: str | None = None
    authority: str | None = None
    appeal_id: UUID | None = None
    event: str | None = None
    effective_at: datetime | None = None
    reason: str | None = None


class AccessDecision(_View):
    """What one segment gets from one model at an effective time, as known at a position."""

    model_id: UUID
    user_class: str
    jurisdiction: str
    representative: Segment
    at: datetime
    allowed: bool
    legal_status: LegalStatus
    operational_status: OperationalStatus
    compliance: Compliance
    since: datetime
    basis: list[BasisItem]
    valid_until: datetime | None
    position: int


class StatusMatrix(_View):
    """Every grid segment of one model at an effective time, as known at a position."""

    model_id: UUID
    at: datetime
    position: int
    segments: list[AccessDecision]


class WhereRestricted(_View):
    """Where a model is legally restricted, and where its provider has it suspended."""

    model_id: UUID
    at: datetime
    position: int
    restricted: list[AccessDecision]
    suspended: list[AccessDecision]


class ModelReach(_View):
    """The segments of one model that a directive's scope covers."""

    model_id: UUID
    segments: list[AccessDecision]


class DirectiveReach(_View):
    """Whom a directive hits: its models and the grid segments its scope covers."""

    directive_id: UUID
    reference: str
    state: DirectiveStateName
    scope: Scope
    at: datetime
    position: int
    models: list[ModelReach]


class TimelineInterval(_View):
    """One stretch of effective time over which a segment's status holds."""

    user_class: str
    jurisdiction: str
    valid_from: datetime
    valid_to: datetime | None
    legal_status: LegalStatus
    operational_status: OperationalStatus
    compliance: Compliance
    since: datetime
    basis: list[BasisItem]


class AccessTimeline(_View):
    """A model's whole access timeline as known at a position (for charts)."""

    model_id: UUID
    registered_at: datetime
    position: int
    intervals: list[TimelineInterval]


class ModelSummary(_View):
    """A model as last recorded."""

    id: UUID
    provider: str
    name: str
    description: str
    registered_at: datetime
    retired: bool
    version: int
    last_position: int


class DirectiveSummary(_View):
    """A directive as last recorded, with its state at the time asked."""

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
    stayed: bool
    rescinded: bool
    expired_recorded: bool
    open_appeal_id: UUID | None
    state: DirectiveStateName
    version: int
    last_position: int


class ProposalSummary(_View):
    """The latest negotiation proposal of an appeal."""

    number: int
    side: Literal["provider", "regulator"]
    terms: str
    scope: Scope | None
    status: str


class AppealSummary(_View):
    """An appeal as last recorded."""

    id: UUID
    directive_id: UUID
    appellant: str
    regulator: str
    status: Literal["filed", "negotiating", "decided", "withdrawn"]
    stay: Literal["none", "requested", "granted", "denied"]
    stay_requested: bool
    filed_at: datetime
    respond_by: datetime
    submissions: int
    round: int
    latest_proposal: ProposalSummary | None
    lapsed: list[str]
    outcome: str | None
    version: int
    last_position: int


class Case(_View):
    """An open appeal on the docket, with its directive and its deadlines."""

    appeal_id: UUID
    directive_id: UUID
    reference: str
    directive_state: DirectiveStateName
    appellant: str
    regulator: str
    status: Literal["filed", "negotiating"]
    stay: Literal["none", "requested", "granted", "denied"]
    round: int
    latest_proposal: ProposalSummary | None
    filed_at: datetime
    respond_by: datetime
    lapsed_recorded: list[str]
    deadline_lapsed: bool
    version: int


class Page(_View, Generic[T]):
    """One page of a list; pass `next_after` as `after` for the next one (None: no more)."""

    items: list[T]
    next_after: int | None
