"""The Appeal aggregate: a provider's challenge to a directive, and its negotiation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from domain.actor import Actor, Role
from domain.errors import (
    AppealClosedError,
    InvalidInputError,
    NotAppellantError,
    NotIssuerError,
    NotLatestProposalError,
    NotPartyError,
    OutcomeNeedsScopeError,
    OutcomeTakesNoScopeError,
    OwnProposalError,
    PermissionDeniedError,
    ProposalAlreadyAcceptedError,
    RuleViolationError,
    SettlementNeedsAgreementError,
    StayAlreadyDecidedError,
    StayNotRequestedError,
)
from domain.events import topic
from domain.scope import Scope


class AppealStatus(StrEnum):
    """Where an appeal stands."""

    FILED = "filed"
    NEGOTIATING = "negotiating"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"


class Outcome(StrEnum):
    """How an appeal ends when decided."""

    UPHELD = "upheld"
    OVERTURNED = "overturned"
    MODIFIED = "modified"
    SETTLED = "settled"


class SubmissionKind(StrEnum):
    """What a submission to the case is."""

    EVIDENCE = "evidence"
    RESPONSE = "response"
    AMICUS_LETTER = "amicus_letter"


class Side(StrEnum):
    """The two negotiating parties."""

    PROVIDER = "provider"
    REGULATOR = "regulator"


class Signatory(BaseModel):
    """One signer of a letter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)]
    affiliation: Annotated[str, Field(max_length=200)] = ""


def _check_sha256(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[0-9a-f]{64}", value):
        raise ValueError("document_sha256 must be 64 lowercase hex digits")
    return value


Sha256 = Annotated[str | None, AfterValidator(_check_sha256)]


@dataclass
class Proposal:
    """One numbered negotiation proposal."""

    number: int
    side: Side
    terms: str
    scope: Scope | None
    status: str = "open"


class Appeal(Aggregate):
    """A challenge to a directive by the provider it is addressed to."""

    TOPIC = topic("appeal", "Appeal")

    class Filed(Aggregate.Created):
        TOPIC = topic("appeal", "Filed")
        directive_id: UUID
        appellant: str
        regulator: str
        grounds: str
        requested_relief: str
        stay_requested: bool
        respond_by: datetime
        actor: Actor
        effective_at: datetime

    class Event(Aggregate.Event):
        TOPIC = topic("appeal", "Event")

    class SubmissionAdded(Event):
        TOPIC = topic("appeal", "SubmissionAdded")
        actor: Actor
        effective_at: datetime
        number: int
        kind: str
        title: str
        summary: str
        signatories: tuple[Signatory, ...]
        confidential: bool
        document_sha256: str | None = None

    class StayGranted(Event):
        TOPIC = topic("appeal", "StayGranted")
        actor: Actor
        effective_at: datetime
        reason: str

    class StayDenied(Event):
        TOPIC = topic("appeal", "StayDenied")
        actor: Actor
        effective_at: datetime
        reason: str

    class ProposalMade(Event):
        TOPIC = topic("appeal", "ProposalMade")
        actor: Actor
        effective_at: datetime
        number: int
        terms: str
        proposed_scope: Scope | None = None

    class ProposalAccepted(Event):
        TOPIC = topic("appeal", "ProposalAccepted")
        actor: Actor
        effective_at: datetime
        number: int

    class ProposalRejected(Event):
        TOPIC = topic("appeal", "ProposalRejected")
        actor: Actor
        effective_at: datetime
        number: int
        reason: str

    class Decided(Event):
        TOPIC = topic("appeal", "Decided")
        actor: Actor
        effective_at: datetime
        outcome: str
        reasons: str
        new_scope: Scope | None = None

    class Withdrawn(Event):
        TOPIC = topic("appeal", "Withdrawn")
        actor: Actor
        effective_at: datetime
        reason: str

    class DeadlinePassed(Event):
        TOPIC = topic("appeal", "DeadlinePassed")
        actor: Actor
        effective_at: datetime
        kind: str

    @event(Filed)
    def __init__(
        self,
        directive_id: UUID,
        appellant: str,
        regulator: str,
        grounds: str,
        requested_relief: str,
        stay_requested: bool,
        respond_by: datetime,
        actor: Actor,
        effective_at: datetime,
    ) -> None:
        self.directive_id = directive_id
        self.appellant = appellant
        self.regulator = regulator
        self.grounds = grounds
        self.requested_relief = requested_relief
        self.stay_requested = stay_requested
        self.respond_by = respond_by
        self.filed_at = effective_at
        self.status = AppealStatus.FILED
        self.stay: str | None = None
        self.submissions = 0
        self.proposals: list[Proposal] = []
        self.outcome: Outcome | None = None
        self.lapsed: set[str] = set()

    # --- rules -------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """True until the appeal is decided or withdrawn."""
        return self.status in (AppealStatus.FILED, AppealStatus.NEGOTIATING)

    def check_open(self) -> None:
        """Named rule: a decided or withdrawn appeal accepts no further commands."""
        if not self.is_open:
            raise AppealClosedError(f"appeal is {self.status}")

    def side_of(self, actor: Actor) -> Side:
        """Named rule: only the appellant provider and the issuing regulator negotiate."""
        if actor.role == Role.PROVIDER and actor.org == self.appellant:
            return Side.PROVIDER
        if actor.role == Role.REGULATOR and actor.org == self.regulator:
            return Side.REGULATOR
        raise NotPartyError(f"{actor} is not a party to this appeal")

    def check_decider(self, actor: Actor) -> None:
        """Named rule: the issuing regulator or an adjudicator decides."""
        if actor.role == Role.ADJUDICATOR:
            return
        if actor.role == Role.REGULATOR and actor.org == self.regulator:
            return
        if actor.role == Role.REGULATOR:
            raise NotIssuerError(f"{actor} did not issue the directive under appeal")
        raise PermissionDeniedError(
            f"{actor} may not rule on this appeal: only {self.regulator} (regulator) or an "
            "adjudicator may"
        )

    def latest_open_proposal(self) -> Proposal | None:
        """The proposal that can still be answered, if any."""
        if self.proposals and self.proposals[-1].status == "open":
            return self.proposals[-1]
        return None

    def accepted_proposal(self) -> Proposal | None:
        """The proposal both parties agreed on, if any."""
        return next((p for p in self.proposals if p.status == "accepted"), None)

    # --- commands ------------------------------------------------------------------------------

    def add_submission(
        self,
        actor: Actor,
        effective_at: datetime,
        kind: SubmissionKind,
        title: str,
        summary: str,
        signatories: tuple[Signatory, ...],
        confidential: bool,
        document_sha256: str | None = None,
    ) -> None:
        """File evidence, a response or an amicus letter to the case."""
        self.check_open()
        if document_sha256 is not None and not re.fullmatch(r"[0-9a-f]{64}", document_sha256):
            raise InvalidInputError(
                "document_sha256 must be 64 lowercase hex digits", field="document_sha256"
            )
        self._submission_added(
            actor=actor,
            effective_at=effective_at,
            number=self.submissions + 1,
            kind=str(kind),
            title=title,
            summary=summary,
            signatories=tuple(signatories),
            confidential=confidential,
            document_sha256=document_sha256,
        )

    def rule_on_stay(
        self, actor: Actor, effective_at: datetime, granted: bool, reason: str
    ) -> None:
        """Grant or deny the stay the appellant asked for."""
        self.check_open()
        if actor.role == Role.REGULATOR and actor.org != self.regulator:
            raise NotIssuerError(f"{actor} did not issue the directive under appeal")
        if actor.role not in (Role.REGULATOR, Role.ADJUDICATOR):
            raise PermissionDeniedError(f"{actor} may not rule on a stay")
        if not self.stay_requested:
            raise StayNotRequestedError("the appellant did not request a stay")
        if self.stay is not None:
            raise StayAlreadyDecidedError(f"the stay request was already {self.stay}")
        if granted:
            self._stay_granted(actor=actor, effective_at=effective_at, reason=reason)
        else:
            self._stay_denied(actor=actor, effective_at=effective_at, reason=reason)

    def propose(
        self, actor: Actor, effective_at: datetime, terms: str, proposed_scope: Scope | None
    ) -> int:
        """Put terms on the table; a new proposal supersedes an unanswered one."""
        self.check_open()
        self.side_of(actor)
        if self.accepted_proposal() is not None:
            raise ProposalAlreadyAcceptedError(
                f"proposal {self.accepted_proposal().number} was accepted; "  # type: ignore[union-attr]
                "the case awaits its decision"
            )
        number = len(self.proposals) + 1
        self._proposal_made(
            actor=actor,
            effective_at=effective_at,
            number=number,
            terms=terms,
            proposed_scope=proposed_scope,
        )
        return number

    def _answerable(self, actor: Actor, number: int) -> Proposal:
        self.check_open()
        side = self.side_of(actor)
        latest = self.latest_open_proposal()
        if latest is None or latest.number != number:
            raise NotLatestProposalError(
                f"proposal {number} is not the latest open proposal"
                + (f" (that is {latest.number})" if latest else " (none is open)"),
                field="proposal_no",
            )
        if latest.side == side:
            raise OwnProposalError(f"the {side} side made proposal {number}; the other answers")
        return latest

    def accept(self, actor: Actor, effective_at: datetime, number: int) -> None:
        """Agree to the latest proposal of the other party."""
        self._answerable(actor, number)
        self._proposal_accepted(actor=actor, effective_at=effective_at, number=number)

    def reject(self, actor: Actor, effective_at: datetime, number: int, reason: str) -> None:
        """Turn down the latest proposal of the other party."""
        self._answerable(actor, number)
        self._proposal_rejected(
            actor=actor, effective_at=effective_at, number=number, reason=reason
        )

    def decide(
        self,
        actor: Actor,
        effective_at: datetime,
        outcome: Outcome,
        reasons: str,
        new_scope: Scope | None,
    ) -> Scope | None:
        """Rule on the appeal; returns the scope the directive takes, if it changes."""
        self.check_open()
        self.check_decider(actor)
        if outcome == Outcome.MODIFIED and new_scope is None:
            raise OutcomeNeedsScopeError("a modified outcome needs new_scope", field="new_scope")
        if outcome == Outcome.SETTLED:
            agreed = self.accepted_proposal()
            if agreed is None:
                raise SettlementNeedsAgreementError("no proposal has been accepted")
            if new_scope is not None and new_scope != agreed.scope:
                raise OutcomeTakesNoScopeError(
                    f"a settled outcome takes the scope of accepted proposal {agreed.number}",
                    field="new_scope",
                )
            new_scope = agreed.scope
        elif outcome != Outcome.MODIFIED and new_scope is not None:
            raise OutcomeTakesNoScopeError(
                f"an {outcome} outcome takes no new_scope", field="new_scope"
            )
        self._decided(
            actor=actor,
            effective_at=effective_at,
            outcome=str(outcome),
            reasons=reasons,
            new_scope=new_scope,
        )
        return new_scope

    def withdraw(self, actor: Actor, effective_at: datetime, reason: str) -> None:
        """The appellant abandons the challenge."""
        self.check_open()
        if actor.role != Role.PROVIDER or actor.org != self.appellant:
            raise NotAppellantError(f"only {self.appellant} (the appellant) may withdraw")
        self._withdrawn(actor=actor, effective_at=effective_at, reason=reason)

    def record_deadline_passed(self, actor: Actor, now: datetime, kind: str = "respond_by") -> None:
        """Write down that a deadline lapsed without a decision (the scheduler's act)."""
        self.check_open()
        if now < self.respond_by:
            raise RuleViolationError(f"the {kind} deadline has not passed")
        if kind in self.lapsed:
            raise RuleViolationError(f"the {kind} deadline lapse is already recorded")
        self._deadline_passed(actor=actor, effective_at=self.respond_by, kind=kind)

    # --- event application -----------------------------------------------------------------------

    @event(SubmissionAdded)
    def _submission_added(
        self,
        actor: Actor,
        effective_at: datetime,
        number: int,
        kind: str,
        title: str,
        summary: str,
        signatories: tuple[Signatory, ...],
        confidential: bool,
        document_sha256: str | None = None,
    ) -> None:
        self.submissions = number

    @event(StayGranted)
    def _stay_granted(self, actor: Actor, effective_at: datetime, reason: str) -> None:
        self.stay = "granted"

    @event(StayDenied)
    def _stay_denied(self, actor: Actor, effective_at: datetime, reason: str) -> None:
        self.stay = "denied"

    @event(ProposalMade)
    def _proposal_made(
        self,
        actor: Actor,
        effective_at: datetime,
        number: int,
        terms: str,
        proposed_scope: Scope | None = None,
    ) -> None:
        for earlier in self.proposals:
            if earlier.status == "open":
                earlier.status = "superseded"
        side = Side.PROVIDER if actor.role == Role.PROVIDER else Side.REGULATOR
        self.proposals.append(Proposal(number, side, terms, proposed_scope))
        self.status = AppealStatus.NEGOTIATING

    @event(ProposalAccepted)
    def _proposal_accepted(self, actor: Actor, effective_at: datetime, number: int) -> None:
        self.proposals[number - 1].status = "accepted"

    @event(ProposalRejected)
    def _proposal_rejected(
        self, actor: Actor, effective_at: datetime, number: int, reason: str
    ) -> None:
        self.proposals[number - 1].status = "rejected"

    @event(Decided)
    def _decided(
        self,
        actor: Actor,
        effective_at: datetime,
        outcome: str,
        reasons: str,
        new_scope: Scope | None = None,
    ) -> None:
        self.status = AppealStatus.DECIDED
        self.outcome = Outcome(outcome)

    @event(Withdrawn)
    def _withdrawn(self, actor: Actor, effective_at: datetime, reason: str) -> None:
        self.status = AppealStatus.WITHDRAWN

    @event(DeadlinePassed)
    def _deadline_passed(self, actor: Actor, effective_at: datetime, kind: str) -> None:
        self.lapsed.add(kind)
