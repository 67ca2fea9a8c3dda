"""The Directive aggregate: a regulator's order restricting access to models."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.actor import Actor
from domain.errors import (
    AppealAlreadyOpenError,
    DirectiveClosedError,
    DirectiveNotStayedError,
    EmptyAmendmentError,
    ExpiryBeforeEffectError,
    InvalidInputError,
    NotIssuerError,
    RuleViolationError,
)
from domain.events import stable_id, topic
from domain.scope import Scope


class DirectiveState(StrEnum):
    """Where a directive stands at a moment."""

    PENDING = "pending"
    IN_FORCE = "in_force"
    STAYED = "stayed"
    RESCINDED = "rescinded"
    EXPIRED = "expired"


CLOSED = frozenset({DirectiveState.RESCINDED, DirectiveState.EXPIRED})


class Directive(Aggregate):
    """A regulator's order that a provider restrict access to some of its models."""

    TOPIC = topic("directive", "Directive")

    class Issued(Aggregate.Created):
        TOPIC = topic("directive", "Issued")
        reference: str
        regulator: str
        provider: str
        model_ids: tuple[UUID, ...]
        scope: Scope
        authority: str
        grounds: str
        actor: Actor
        effective_at: datetime
        expires_at: datetime | None = None

    class Event(Aggregate.Event):
        TOPIC = topic("directive", "Event")

    class Amended(Event):
        TOPIC = topic("directive", "Amended")
        actor: Actor
        effective_at: datetime
        reason: str
        scope: Scope | None = None
        model_ids: tuple[UUID, ...] | None = None
        expires_at: datetime | None = None
        appeal_id: UUID | None = None

    class Stayed(Event):
        TOPIC = topic("directive", "Stayed")
        actor: Actor
        effective_at: datetime
        reason: str
        appeal_id: UUID

    class StayLifted(Event):
        TOPIC = topic("directive", "StayLifted")
        actor: Actor
        effective_at: datetime
        reason: str
        appeal_id: UUID | None = None

    class Rescinded(Event):
        TOPIC = topic("directive", "Rescinded")
        actor: Actor
        effective_at: datetime
        reason: str
        appeal_id: UUID | None = None

    class Expired(Event):
        TOPIC = topic("directive", "Expired")
        actor: Actor
        effective_at: datetime

    class AppealLodged(Event):
        TOPIC = topic("directive", "AppealLodged")
        actor: Actor
        effective_at: datetime
        appeal_id: UUID

    class AppealClosed(Event):
        TOPIC = topic("directive", "AppealClosed")
        actor: Actor
        effective_at: datetime
        appeal_id: UUID
        outcome: str

    @staticmethod
    def create_id(reference: str, **_: object) -> UUID:
        """A docket reference is unique: the id is derived from it."""
        return stable_id("directive", reference)

    @event(Issued)
    def __init__(
        self,
        reference: str,
        regulator: str,
        provider: str,
        model_ids: tuple[UUID, ...],
        scope: Scope,
        authority: str,
        grounds: str,
        actor: Actor,
        effective_at: datetime,
        expires_at: datetime | None = None,
    ) -> None:
        self.reference = reference
        self.regulator = regulator
        self.provider = provider
        self.model_ids = tuple(model_ids)
        self.scope = scope
        self.authority = authority
        self.grounds = grounds
        self.effective_at = effective_at
        self.expires_at = expires_at
        self.stayed = False
        self.rescinded = False
        self.expired_recorded = False
        self.open_appeal_id: UUID | None = None

    @staticmethod
    def check_issue(scope: Scope, effective_at: datetime, expires_at: datetime | None) -> None:
        """Named rules for issuing: a non-empty scope and expiry after effect."""
        if scope.is_empty:
            raise InvalidInputError("scope must name at least one segment", field="scope")
        if expires_at is not None and expires_at <= effective_at:
            raise ExpiryBeforeEffectError(
                f"expires_at {expires_at.isoformat()} must be after effective_at "
                f"{effective_at.isoformat()}",
                field="expires_at",
            )

    # --- state -----------------------------------------------------------------------------

    def state(self, now: datetime) -> DirectiveState:
        """The directive's state at a moment, honouring expiry by time alone."""
        if self.rescinded:
            return DirectiveState.RESCINDED
        if self.expired_recorded or (self.expires_at is not None and now >= self.expires_at):
            return DirectiveState.EXPIRED
        if now < self.effective_at:
            return DirectiveState.PENDING
        return DirectiveState.STAYED if self.stayed else DirectiveState.IN_FORCE

    def check_open(self, now: datetime) -> None:
        """Named rule: a rescinded or expired directive accepts no further commands."""
        state = self.state(now)
        if state in CLOSED:
            raise DirectiveClosedError(f"directive {self.reference} is {state}")

    def check_issuer(self, actor: Actor) -> None:
        """Named rule: only the issuing regulator acts on its directive."""
        if actor.org != self.regulator:
            raise NotIssuerError(
                f"{actor.org} did not issue directive {self.reference} ({self.regulator} did)"
            )

    # --- commands ----------------------------------------------------------------------------

    def amend(
        self,
        actor: Actor,
        now: datetime,
        effective_at: datetime,
        reason: str,
        scope: Scope | None = None,
        model_ids: tuple[UUID, ...] | None = None,
        expires_at: datetime | None = None,
        appeal_id: UUID | None = None,
    ) -> None:
        """Narrow or widen the directive (scope, models or expiry)."""
        self.check_open(now)
        changes = (
            (scope is not None and scope != self.scope)
            or (model_ids is not None and set(model_ids) != set(self.model_ids))
            or (expires_at is not None and expires_at != self.expires_at)
        )
        if not changes:
            raise EmptyAmendmentError("the amendment changes neither scope, models nor expiry")
        if scope is not None and scope.is_empty:
            raise InvalidInputError(
                "an empty scope would rescind the directive: rescind it instead", field="scope"
            )
        if model_ids is not None and not model_ids:
            raise InvalidInputError("model_ids must name at least one model", field="model_ids")
        if expires_at is not None and expires_at <= self.effective_at:
            raise ExpiryBeforeEffectError(
                f"expires_at {expires_at.isoformat()} must be after effective_at "
                f"{self.effective_at.isoformat()}",
                field="expires_at",
            )
        self._amended(
            actor=actor,
            effective_at=effective_at,
            reason=reason,
            scope=scope,
            model_ids=tuple(model_ids) if model_ids is not None else None,
            expires_at=expires_at,
            appeal_id=appeal_id,
        )

    def stay(
        self, actor: Actor, now: datetime, effective_at: datetime, reason: str, appeal_id: UUID
    ) -> None:
        """Pause the directive's effect pending an appeal."""
        self.check_open(now)
        if self.stayed:
            raise RuleViolationError(f"directive {self.reference} is already stayed")
        self._stayed(actor=actor, effective_at=effective_at, reason=reason, appeal_id=appeal_id)

    def lift_stay(
        self,
        actor: Actor,
        now: datetime,
        effective_at: datetime,
        reason: str,
        appeal_id: UUID | None = None,
    ) -> None:
        """Resume the directive's effect."""
        self.check_open(now)
        if not self.stayed:
            raise DirectiveNotStayedError(f"directive {self.reference} is not stayed")
        self._stay_lifted(
            actor=actor, effective_at=effective_at, reason=reason, appeal_id=appeal_id
        )

    def rescind(
        self,
        actor: Actor,
        now: datetime,
        effective_at: datetime,
        reason: str,
        appeal_id: UUID | None = None,
    ) -> None:
        """Withdraw the directive for good."""
        self.check_open(now)
        self._rescinded(actor=actor, effective_at=effective_at, reason=reason, appeal_id=appeal_id)

    def record_expiry(self, actor: Actor, now: datetime) -> None:
        """Write down that the expiry time has passed (the scheduler's act)."""
        if self.expires_at is None or now < self.expires_at:
            raise RuleViolationError(f"directive {self.reference} has not expired")
        if self.rescinded or self.expired_recorded:
            raise DirectiveClosedError(f"directive {self.reference} is already closed")
        self._expired(actor=actor, effective_at=self.expires_at)

    def lodge_appeal(
        self, actor: Actor, now: datetime, effective_at: datetime, appeal_id: UUID
    ) -> None:
        """Note an appeal against the directive (one open at a time)."""
        self.check_open(now)
        if self.open_appeal_id is not None:
            raise AppealAlreadyOpenError(
                f"appeal {self.open_appeal_id} against {self.reference} is still open"
            )
        self._appeal_lodged(actor=actor, effective_at=effective_at, appeal_id=appeal_id)

    def close_appeal(
        self, actor: Actor, effective_at: datetime, appeal_id: UUID, outcome: str
    ) -> None:
        """Note that the open appeal ended (decided or withdrawn)."""
        self._appeal_closed(
            actor=actor, effective_at=effective_at, appeal_id=appeal_id, outcome=outcome
        )

    # --- event application ------------------------------------------------------------------

    @event(Amended)
    def _amended(
        self,
        actor: Actor,
        effective_at: datetime,
        reason: str,
        scope: Scope | None = None,
        model_ids: tuple[UUID, ...] | None = None,
        expires_at: datetime | None = None,
        appeal_id: UUID | None = None,
    ) -> None:
        if scope is not None:
            self.scope = scope
        if model_ids is not None:
            self.model_ids = tuple(model_ids)
        if expires_at is not None:
            self.expires_at = expires_at

    @event(Stayed)
    def _stayed(self, actor: Actor, effective_at: datetime, reason: str, appeal_id: UUID) -> None:
        self.stayed = True

    @event(StayLifted)
    def _stay_lifted(
        self, actor: Actor, effective_at: datetime, reason: str, appeal_id: UUID | None = None
    ) -> None:
        self.stayed = False

    @event(Rescinded)
    def _rescinded(
        self, actor: Actor, effective_at: datetime, reason: str, appeal_id: UUID | None = None
    ) -> None:
        self.rescinded = True
        self.stayed = False

    @event(Expired)
    def _expired(self, actor: Actor, effective_at: datetime) -> None:
        self.expired_recorded = True

    @event(AppealLodged)
    def _appeal_lodged(self, actor: Actor, effective_at: datetime, appeal_id: UUID) -> None:
        self.open_appeal_id = appeal_id

    @event(AppealClosed)
    def _appeal_closed(
        self, actor: Actor, effective_at: datetime, appeal_id: UUID, outcome: str
    ) -> None:
        self.open_appeal_id = None
