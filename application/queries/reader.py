"""The read API: every query on the views, each able to wait for the caller's last write."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from application.context import Clock, utc_now
from application.persistence.database import Database
from application.projections.access import AccessView
from application.projections.cases import open_cases
from application.projections.history import TABLE as HISTORY
from application.projections.runner import ProjectionRunner
from application.queries import access, catalog
from application.queries.cache import DecisionCache, Key
from application.queries.views import (
    AccessDecision,
    AccessTimeline,
    AppealSummary,
    Case,
    DirectiveReach,
    DirectiveSummary,
    ModelSummary,
    Page,
    StatusMatrix,
    WhereRestricted,
)
from domain.events import aware

KnownAt = int | datetime | None

DEFAULT_LIMIT = 50


class Queries:
    """Answers from the materialised views; `min_position` waits (bounded) for a write.

    `at` is an effective time (default: now). `known_at` is a log position, or a recorded
    time, which stands for the last position whose event was recorded at or before it
    (default: everything the views hold).
    """

    def __init__(
        self,
        db: Database,
        runner: ProjectionRunner,
        clock: Clock = utc_now,
        wait_timeout: float = 5.0,
        decisions: DecisionCache | None = None,
    ) -> None:
        self.db = db
        self.runner = runner
        self.clock = clock
        self.wait_timeout = wait_timeout
        self.decisions = decisions

    @classmethod
    def of(cls, system: Any, wait_timeout: float = 5.0) -> Queries:
        """The queries of a `System` (its store, runner and clock)."""
        return cls(
            system.app.db,
            system.runner,
            system.app.clock,
            wait_timeout,
            getattr(system, "decisions", None),
        )

    @property
    def local(self) -> bool:
        """True when the views are read from a local file or memory, not over a network."""
        return self.db.is_local

    # --- positions -----------------------------------------------------------------------------

    def wait(self, min_position: int | None) -> None:
        """Return once the views hold `min_position`; ProjectionTimeoutError otherwise."""
        if min_position:
            self.runner.wait_for(min_position, self.wait_timeout)

    def position(self) -> int:
        """The last log position the access view has applied."""
        tracking: Any = self.runner.tracking
        if self.db.is_postgres:
            return int(tracking.max_tracking_id(AccessView.name) or 0)
        # The library's own statement, without a transaction around it (hot: every read).
        row = self.db.read_single(tracking.select_max_tracking_id_statement, (AccessView.name,))
        return int(row[0] or 0) if row is not None else 0

    def known_position(self, known_at: KnownAt) -> int:
        """The log position a `known_at` stands for (never beyond what the views hold)."""
        held = self.position()
        if known_at is None:
            return held
        if isinstance(known_at, datetime):
            row = self.db.fetchone(
                f"SELECT MAX(position) AS p FROM {HISTORY} WHERE recorded_at <= ?",
                (aware(known_at, "known_at").isoformat(),),
            )
            return min(int(row["p"] or 0), held)
        return max(0, min(int(known_at), held))

    def _at(self, at: datetime | None) -> datetime:
        return self.clock() if at is None else aware(at, "at")

    # --- access --------------------------------------------------------------------------------

    def access_decision(
        self,
        model_id: UUID,
        user_class: str,
        jurisdiction: str,
        at: datetime | None = None,
        known_at: KnownAt = None,
        min_position: int | None = None,
    ) -> AccessDecision:
        """What a user in one segment gets from a model, and why."""
        self.wait(min_position)
        if at is not None or known_at is not None or self.decisions is None:
            segment = access.segment_of(user_class, jurisdiction)
            return access.access_decision(
                self.db, model_id, segment, self._at(at), self.known_position(known_at)
            )
        # About now, as known now: a stored decision that still holds answers (see cache.py).
        # It is keyed by the segment as asked: only a valid question ever stored an answer.
        key = (model_id, user_class, jurisdiction)
        held, now = self.position(), self.clock()
        decision = self.decisions.get(key, held, now)
        if decision is None:
            decision = self._decide_now(self.decisions, key, held, now)
        return decision

    def access_decision_json(self, model_id: UUID, user_class: str, jurisdiction: str) -> str:
        """`access_decision(...)` about now, as known now, as its JSON: the hot read's answer."""
        if self.decisions is None:
            return self.access_decision(model_id, user_class, jurisdiction).model_dump_json()
        key = (model_id, user_class, jurisdiction)
        held, now = self.position(), self.clock()
        text = self.decisions.get_json(key, held, now)
        if text is None:
            text = self._decide_now(self.decisions, key, held, now).model_dump_json()
        return text

    def _decide_now(
        self, decisions: DecisionCache, key: Key, held: int, now: datetime
    ) -> AccessDecision:
        """Work out a decision about now as known at `held`, and keep it in `decisions`."""
        model_id, user_class, jurisdiction = key
        segment = access.segment_of(user_class, jurisdiction)
        decision = access.access_decision(self.db, model_id, segment, now, held)
        decisions.put(key, decision)
        return decision

    def status_matrix(
        self,
        model_id: UUID,
        at: datetime | None = None,
        known_at: KnownAt = None,
        min_position: int | None = None,
    ) -> StatusMatrix:
        """Every grid segment of a model."""
        self.wait(min_position)
        return access.status_matrix(self.db, model_id, self._at(at), self.known_position(known_at))

    def where_restricted(
        self,
        model_id: UUID,
        at: datetime | None = None,
        known_at: KnownAt = None,
        min_position: int | None = None,
    ) -> WhereRestricted:
        """Where a model is legally restricted, and where it is suspended."""
        self.wait(min_position)
        return access.where_restricted(
            self.db, model_id, self._at(at), self.known_position(known_at)
        )

    def directive_reach(
        self,
        directive_id: UUID,
        at: datetime | None = None,
        known_at: KnownAt = None,
        min_position: int | None = None,
    ) -> DirectiveReach:
        """Whom a directive hits: its models and the segments its scope covers."""
        self.wait(min_position)
        return access.directive_reach(
            self.db, directive_id, self._at(at), self.known_position(known_at)
        )

    def access_timeline(
        self, model_id: UUID, known_at: KnownAt = None, min_position: int | None = None
    ) -> AccessTimeline:
        """A model's whole access timeline (every segment, every interval)."""
        self.wait(min_position)
        return access.access_timeline(self.db, model_id, self.known_position(known_at))

    # --- catalog -------------------------------------------------------------------------------

    def list_models(
        self,
        provider: str | None = None,
        limit: int = DEFAULT_LIMIT,
        after: int | None = None,
        min_position: int | None = None,
    ) -> Page[ModelSummary]:
        """Models in registration order."""
        self.wait(min_position)
        return catalog.list_models(self.db, provider, limit, after)

    def get_model(self, model_id: UUID, min_position: int | None = None) -> ModelSummary:
        """One model."""
        self.wait(min_position)
        return catalog.get_model(self.db, model_id)

    def list_directives(
        self,
        provider: str | None = None,
        model_id: UUID | None = None,
        state: str | None = None,
        now: datetime | None = None,
        limit: int = DEFAULT_LIMIT,
        after: int | None = None,
        min_position: int | None = None,
    ) -> Page[DirectiveSummary]:
        """Directives in issue order; `state` is judged at `now` (expiry by time alone)."""
        self.wait(min_position)
        return catalog.list_directives(
            self.db, self._at(now), provider, model_id, state, limit, after
        )

    def get_directive(
        self, directive_id: UUID, now: datetime | None = None, min_position: int | None = None
    ) -> DirectiveSummary:
        """One directive, with its state at `now`."""
        self.wait(min_position)
        return catalog.get_directive(self.db, directive_id, self._at(now))

    def list_appeals(
        self,
        directive_id: UUID | None = None,
        status: str | None = None,
        limit: int = DEFAULT_LIMIT,
        after: int | None = None,
        min_position: int | None = None,
    ) -> Page[AppealSummary]:
        """Appeals in filing order."""
        self.wait(min_position)
        return catalog.list_appeals(self.db, directive_id, status, limit, after)

    def get_appeal(self, appeal_id: UUID, min_position: int | None = None) -> AppealSummary:
        """One appeal."""
        self.wait(min_position)
        return catalog.get_appeal(self.db, appeal_id)

    def list_cases(
        self, now: datetime | None = None, min_position: int | None = None
    ) -> list[Case]:
        """Open appeals, most pressing deadline first, lapsed deadlines flagged by time."""
        self.wait(min_position)
        return open_cases(self.db, self._at(now))
