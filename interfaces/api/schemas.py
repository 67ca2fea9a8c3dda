"""Request bodies of the commands and the acknowledgement every command returns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from domain.actor import OrgSlug
from domain.appeal import Outcome, Sha256, Signatory, SubmissionKind
from domain.scope import Scope

Text = Annotated[str, Field(min_length=1, max_length=20_000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Reference = Annotated[str, Field(min_length=1, max_length=120)]
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _instant(value: datetime) -> datetime:
    """An aware time in UTC, within a range that date arithmetic cannot overflow."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range once converted to UTC") from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError(f"the time must lie between {EARLIEST.year} and {LATEST.year}")
    return utc


Instant = Annotated[AwareDatetime, AfterValidator(_instant)]
ModelIds = Annotated[list[UUID], Field(min_length=1, max_length=100)]
Slug = Annotated[OrgSlug, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]


def _check_text(value: Any) -> Any:
    """Refuse strings that cannot be stored as UTF-8 text (lone surrogates, NUL)."""
    if isinstance(value, str):
        if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
            raise ValueError("text must be valid Unicode without NUL characters")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_text(item)
    return value


class CommandBody(BaseModel):
    """Fields every command accepts."""

    model_config = ConfigDict(extra="forbid")

    effective_at: Instant | None = Field(
        default=None,
        description="When the act takes effect (RFC 3339 with an offset); default: now.",
    )

    @field_validator("*", mode="before")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        return _check_text(value)


class ModelRegistration(CommandBody):
    """Register a model of the calling provider."""

    name: Name
    description: Annotated[str, Field(max_length=20_000)] = ""


class ScopeAct(CommandBody):
    """Suspend or restore a model for a scope."""

    scope: Scope
    reason: Text
    directive_id: UUID | None = None
    appeal_id: UUID | None = None


class Suspension(ScopeAct):
    """Take a model offline for a scope."""


class Restoration(ScopeAct):
    """Bring a model back for a suspended scope."""


class Retirement(CommandBody):
    """Retire a model for good."""

    reason: Text


class DirectiveIssue(CommandBody):
    """Issue a directive to a provider."""

    reference: Reference
    provider: Slug
    model_ids: ModelIds
    scope: Scope
    authority: Text
    grounds: Text
    expires_at: Instant | None = None


class Amendment(CommandBody):
    """Narrow or widen a directive."""

    reason: Text
    scope: Scope | None = None
    model_ids: ModelIds | None = None
    expires_at: Instant | None = None


class Rescission(CommandBody):
    """Withdraw a directive."""

    reason: Text


class AppealFiling(CommandBody):
    """Challenge a directive."""

    directive_id: UUID
    grounds: Text
    requested_relief: Text
    stay_requested: bool = False


class SubmissionFiling(CommandBody):
    """Evidence, a response or an amicus letter for a case."""

    kind: SubmissionKind
    title: Name
    summary: Text
    signatories: Annotated[list[Signatory], Field(max_length=10_000)] = []
    confidential: bool = False
    document_sha256: Sha256 = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the filed document, 64 lowercase hex digits.",
    )


class StayRuling(CommandBody):
    """Grant or deny a requested stay."""

    granted: bool
    reason: Text


class ProposalFiling(CommandBody):
    """Put terms on the table."""

    terms: Text
    proposed_scope: Scope | None = None


class Acceptance(CommandBody):
    """Agree to the other party's latest proposal."""


class Rejection(CommandBody):
    """Turn down the other party's latest proposal."""

    reason: Text


class DecisionFiling(CommandBody):
    """Decide an appeal."""

    outcome: Outcome
    reasons: Text
    new_scope: Scope | None = None


class Withdrawal(CommandBody):
    """Withdraw an appeal."""

    reason: Text


class CommandResponse(BaseModel):
    """What a command records: the aggregate, its new version and the log position."""

    id: UUID
    version: int
    position: int
    proposal_no: int | None = Field(default=None, description="The proposal answered or made.")
    number: int | None = Field(default=None, description="The submission's number in its case.")
