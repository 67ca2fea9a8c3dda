"""The Model aggregate: a provider's AI model and the provider's own access acts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.actor import Actor
from domain.errors import (
    InvalidInputError,
    ModelRetiredError,
    NotSuspendedError,
    NotYetRegisteredError,
)
from domain.events import stable_id, topic
from domain.scope import Scope, Segment, segment_grid


@dataclass(frozen=True)
class OperationalAct:
    """One provider act as it sits on the model's effective timeline."""

    suspended: bool
    scope: Scope
    effective_at: datetime
    version: int


class Model(Aggregate):
    """An AI model of one provider, available everywhere from its registration."""

    TOPIC = topic("model", "Model")

    class Registered(Aggregate.Created):
        TOPIC = topic("model", "Registered")
        provider: str
        name: str
        description: str
        actor: Actor
        effective_at: datetime

    class Event(Aggregate.Event):
        TOPIC = topic("model", "Event")

    class Suspended(Event):
        TOPIC = topic("model", "Suspended")
        actor: Actor
        effective_at: datetime
        scope: Scope
        reason: str
        directive_id: UUID | None = None
        appeal_id: UUID | None = None

    class Restored(Event):
        TOPIC = topic("model", "Restored")
        actor: Actor
        effective_at: datetime
        scope: Scope
        reason: str
        directive_id: UUID | None = None
        appeal_id: UUID | None = None

    class Retired(Event):
        TOPIC = topic("model", "Retired")
        actor: Actor
        effective_at: datetime
        reason: str

    @staticmethod
    def create_id(provider: str, name: str, **_: object) -> UUID:
        """One model per (provider, name): the id is derived from both."""
        return stable_id("model", f"{provider}/{name}")

    @event(Registered)
    def __init__(
        self, provider: str, name: str, description: str, actor: Actor, effective_at: datetime
    ) -> None:
        self.provider = provider
        self.name = name
        self.description = description
        self.registered_at = effective_at
        self.retired = False
        self.acts: list[OperationalAct] = []

    # --- commands ------------------------------------------------------------------------

    def suspend(
        self,
        actor: Actor,
        effective_at: datetime,
        scope: Scope,
        reason: str,
        directive_id: UUID | None = None,
        appeal_id: UUID | None = None,
    ) -> None:
        """Take the model offline for a scope (may be wider than any directive)."""
        self._check_act(scope, effective_at)
        self._suspended(
            actor=actor,
            effective_at=effective_at,
            scope=scope,
            reason=reason,
            directive_id=directive_id,
            appeal_id=appeal_id,
        )

    def restore(
        self,
        actor: Actor,
        effective_at: datetime,
        scope: Scope,
        reason: str,
        directive_id: UUID | None = None,
        appeal_id: UUID | None = None,
    ) -> None:
        """Bring the model back for a scope that is (at least partly) suspended."""
        self._check_act(scope, effective_at)
        if not self.suspended_within(scope, effective_at):
            raise NotSuspendedError(
                f"nothing in {scope} is suspended at {effective_at.isoformat()}",
                field="scope",
            )
        self._restored(
            actor=actor,
            effective_at=effective_at,
            scope=scope,
            reason=reason,
            directive_id=directive_id,
            appeal_id=appeal_id,
        )

    def retire(self, actor: Actor, effective_at: datetime, reason: str) -> None:
        """Withdraw the model for good; later commands are refused."""
        self.check_active()
        self.check_effective(effective_at)
        self._retired(actor=actor, effective_at=effective_at, reason=reason)

    # --- queries over the aggregate's own state -------------------------------------------

    def check_active(self) -> None:
        """Named rule: a retired model accepts no further commands."""
        if self.retired:
            raise ModelRetiredError(f"model {self.name!r} is retired")

    def check_effective(self, effective_at: datetime) -> None:
        """Named rule: nothing takes effect before the model's registration."""
        if effective_at < self.registered_at:
            raise NotYetRegisteredError(
                f"{effective_at.isoformat()} is before the model's registration at "
                f"{self.registered_at.isoformat()}",
                field="effective_at",
            )

    def _check_act(self, scope: Scope, effective_at: datetime) -> None:
        self.check_active()
        self.check_effective(effective_at)
        if scope.is_empty:
            raise InvalidInputError("scope must name at least one segment", field="scope")

    def operational_suspended(self, segment: Segment, at: datetime) -> bool:
        """Whether the provider's acts (as recorded so far) suspend a segment at a time."""
        suspended = False
        for act in sorted(self.acts, key=lambda a: (a.effective_at, a.version)):
            if act.effective_at > at:
                break
            if act.scope.covers(segment):
                suspended = act.suspended
        return suspended

    def suspended_within(self, scope: Scope, at: datetime) -> bool:
        """Whether any segment of the scope is suspended at a time."""
        grid = segment_grid([scope, *(a.scope for a in self.acts)])
        return any(scope.covers(s) and self.operational_suspended(s, at) for s in grid)

    # --- event application (no checks, no clocks) ------------------------------------------

    @event(Suspended)
    def _suspended(
        self,
        actor: Actor,
        effective_at: datetime,
        scope: Scope,
        reason: str,
        directive_id: UUID | None = None,
        appeal_id: UUID | None = None,
    ) -> None:
        self.acts.append(OperationalAct(True, scope, effective_at, self.version))

    @event(Restored)
    def _restored(
        self,
        actor: Actor,
        effective_at: datetime,
        scope: Scope,
        reason: str,
        directive_id: UUID | None = None,
        appeal_id: UUID | None = None,
    ) -> None:
        self.acts.append(OperationalAct(False, scope, effective_at, self.version))

    @event(Retired)
    def _retired(self, actor: Actor, effective_at: datetime, reason: str) -> None:
        self.retired = True
