"""Property: every access decision equals a plain fold over the events read back from the store."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.persistence.store import parse_url
from application.queries import Queries
from application.scheduler import run_due
from application.system import System
from domain.appeal import Outcome
from domain.errors import DomainError, NotFoundError
from domain.scope import Scope, Segment
from tests.application.readside.conftest import ANTHROPIC, US_BIS, as_
from tests.conftest import FakeClock

START = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
CLASSES = ["foreign_national", "domestic", "*"]
PLACES = ["CN", "FR", "US", "*"]
ASKED_CLASSES = ["foreign_national", "domestic", "enterprise", "*"]
ASKED_PLACES = ["CN", "FR", "US", "DE", "*"]
MICRO = timedelta(microseconds=1)

scopes = st.builds(
    lambda u, j: Scope(user_classes=tuple(u), jurisdictions=tuple(j)),
    st.lists(st.sampled_from(CLASSES), min_size=1, max_size=2, unique=True),
    st.lists(st.sampled_from(PLACES), min_size=1, max_size=2, unique=True),
)
offsets = st.integers(min_value=-72, max_value=24 * 20).map(lambda h: timedelta(hours=h))


# --- the obviously-correct fold ----------------------------------------------------------------


def _name(event: Any) -> str:
    return type(event).__name__


def _legal(log: list[tuple[int, Any]], model_id: UUID, segment: Segment, at: datetime) -> str:
    by_directive: dict[UUID, list[tuple[int, Any]]] = {}
    for position, event in log:
        if type(event).__module__ == "domain.directive":
            by_directive.setdefault(event.originator_id, []).append((position, event))
    for events in by_directive.values():
        issued = events[0][1]
        if issued.effective_at > at:
            continue
        models, scope, expires = set(issued.model_ids), issued.scope, issued.expires_at
        stayed = ended = False
        for _, event in sorted(events[1:], key=lambda pe: (pe[1].effective_at, pe[0])):
            if event.effective_at > at:
                break
            name = _name(event)
            if name == "Amended":
                scope = event.scope or scope
                models = set(event.model_ids) if event.model_ids is not None else models
                expires = event.expires_at or expires
            elif name in ("Stayed", "StayLifted"):
                stayed = name == "Stayed"
            elif name in ("Rescinded", "Expired"):
                ended = True
        in_force = not (ended or stayed) and (expires is None or at < expires)
        if in_force and model_id in models and scope.covers(segment):
            return "restricted"
    return "unrestricted"


def _operational(log: list[tuple[int, Any]], model_id: UUID, segment: Segment, at: datetime) -> str:
    acts = sorted(
        (e.effective_at, p, e)
        for p, e in log
        if e.originator_id == model_id
        and _name(e) in ("Suspended", "Restored", "Retired")
        and e.effective_at <= at
    )
    suspended = False
    for _, _, act in acts:
        if _name(act) == "Retired":
            return "suspended"
        if act.scope.covers(segment):
            suspended = _name(act) == "Suspended"
    return "suspended" if suspended else "available"


def fold(
    log: list[tuple[int, Any]], model_id: UUID, segment: Segment, at: datetime, known_at: int
) -> tuple[str, str] | None:
    """(legal, operational) from the raw events, or None where the model does not exist."""
    known = [(p, e) for p, e in log if p <= known_at]
    registered = [e for _, e in known if e.originator_id == model_id and _name(e) == "Registered"]
    if not registered or at < registered[0].effective_at:
        return None
    return _legal(known, model_id, segment, at), _operational(known, model_id, segment, at)


# --- random histories through the application ----------------------------------------------------


class Driver:
    """Draws and runs random commands; refused commands record nothing and are ignored."""

    def __init__(self, system: System, clock: FakeClock, data: st.DataObject) -> None:
        self.app = system.app
        self.system = system
        self.clock = clock
        self.data = data
        self.models: list[UUID] = []
        self.directives: list[UUID] = []
        self.appeals: list[UUID] = []

    def when(self) -> datetime:
        return self.clock.now + self.data.draw(offsets)

    def pick(self, values: list[UUID]) -> UUID:
        return self.data.draw(st.sampled_from(values))

    def step(self) -> None:
        commands: list[Callable[[], Any]] = [self.register, self.advance]
        if self.models:
            commands += [self.issue, self.issue, self.suspend, self.suspend, self.restore]
        if self.directives:
            commands += [self.amend, self.rescind, self.file, self.scheduler]
        if self.appeals:
            commands += [self.rule_on_stay, self.decide, self.withdraw]
        command = self.data.draw(st.sampled_from(commands))
        with contextlib.suppress(DomainError):
            command()

    def register(self) -> None:
        name = self.data.draw(st.sampled_from(["A", "B", "C"]))
        effective = self.clock.now - timedelta(hours=self.data.draw(st.integers(0, 72)))
        self.models.append(self.app.register_model(as_(ANTHROPIC, effective), name, "m").id)

    def advance(self) -> None:
        self.clock.advance(hours=self.data.draw(st.integers(1, 24 * 6)))

    def suspend(self) -> None:
        self.app.suspend_model(
            as_(ANTHROPIC, self.when()), self.pick(self.models), self.data.draw(scopes), "r"
        )

    def restore(self) -> None:
        self.app.restore_model(
            as_(ANTHROPIC, self.when()), self.pick(self.models), self.data.draw(scopes), "r"
        )

    def issue(self) -> None:
        models = self.data.draw(st.lists(st.sampled_from(self.models), min_size=1, max_size=2))
        effective = self.when()
        expires = self.data.draw(
            st.one_of(st.none(), st.none(), offsets.map(lambda d: effective + abs(d) + MICRO))
        )
        reference = f"D-{len(self.directives) + 1}-{uuid.uuid4().hex[:6]}"
        self.directives.append(
            self.app.issue_directive(
                as_(US_BIS, effective),
                reference,
                "anthropic",
                models,
                self.data.draw(scopes),
                "law",
                "grounds",
                expires_at=expires,
            ).id
        )

    def amend(self) -> None:
        change = self.data.draw(st.sampled_from(["scope", "models", "expiry"]))
        kwargs: dict[str, Any] = {}
        if change == "scope":
            kwargs["scope"] = self.data.draw(scopes)
        elif change == "models":
            kwargs["model_ids"] = self.data.draw(
                st.lists(st.sampled_from(self.models), min_size=1, max_size=2)
            )
        else:
            kwargs["expires_at"] = self.clock.now + timedelta(
                hours=self.data.draw(st.integers(1, 24 * 20))
            )
        self.app.amend_directive(
            as_(US_BIS, self.when()), self.pick(self.directives), "r", **kwargs
        )

    def rescind(self) -> None:
        self.app.rescind_directive(as_(US_BIS, self.when()), self.pick(self.directives), "r")

    def file(self) -> None:
        self.appeals.append(
            self.app.file_appeal(
                as_(ANTHROPIC, self.when()), self.pick(self.directives), "g", "relief", True
            ).id
        )

    def rule_on_stay(self) -> None:
        self.app.rule_on_stay(
            as_(US_BIS, self.when()), self.pick(self.appeals), self.data.draw(st.booleans()), "r"
        )

    def decide(self) -> None:
        outcome = self.data.draw(
            st.sampled_from([Outcome.UPHELD, Outcome.OVERTURNED, Outcome.MODIFIED])
        )
        new_scope = self.data.draw(scopes) if outcome == Outcome.MODIFIED else None
        self.app.decide_appeal(
            as_(US_BIS, self.when()), self.pick(self.appeals), outcome, "r", new_scope
        )

    def withdraw(self) -> None:
        self.app.withdraw_appeal(as_(ANTHROPIC, self.when()), self.pick(self.appeals), "r")

    def scheduler(self) -> None:
        self.system.runner.catch_up()
        run_due(self.system)


def _read_log(system: System) -> list[tuple[int, Any]]:
    notifications = system.app.recorder.select_notifications(start=1, limit=100_000)
    return [(n.id, system.app.mapper.to_domain_event(n)) for n in notifications]


def _times(log: list[tuple[int, Any]]) -> st.SearchStrategy[datetime]:
    """Random times, and times at and around the recorded effective times and expiries."""
    marks = sorted(
        {
            t
            for _, e in log
            for t in (e.effective_at, getattr(e, "expires_at", None))
            if t is not None
        }
    )
    near = st.builds(
        lambda t, d: t + d,
        st.sampled_from(marks),
        st.sampled_from([timedelta(0), -MICRO, timedelta(hours=1)]),
    )
    anywhere = st.integers(-24, 24 * 60).map(lambda h: START + timedelta(hours=h))
    return st.one_of(near, near, anywhere)


def _check(
    queries: Queries,
    log: list[tuple[int, Any]],
    model_id: UUID,
    segment: Segment,
    at: datetime,
    known_at: int,
) -> None:
    expected = fold(log, model_id, segment, at, known_at)
    try:
        got = queries.access_decision(
            model_id, segment.user_class, segment.jurisdiction, at=at, known_at=known_at
        )
    except NotFoundError:
        assert expected is None
        return
    assert (got.legal_status, got.operational_status) == expected
    assert got.allowed == (expected[1] == "available")
    assert fold(log, model_id, segment, got.since, known_at) == expected
    previous = fold(log, model_id, segment, got.since - MICRO, known_at)
    assert previous is None or previous != expected
    if got.valid_until is not None:
        assert got.valid_until > at
        assert fold(log, model_id, segment, got.valid_until - MICRO, known_at) == expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_access_decisions_equal_a_plain_fold_over_the_recorded_events(data: st.DataObject):
    clock = FakeClock(START)
    system = System(parse_url(f"memory://p{uuid.uuid4().hex}"), clock=clock)
    try:
        driver = Driver(system, clock, data)
        system.runner.batch_size = data.draw(st.sampled_from([1, 3, 500]))
        driver.register()
        for _ in range(data.draw(st.integers(5, 40))):
            driver.step()
        system.runner.catch_up()
        log = _read_log(system)
        if not driver.models or not log:
            return
        queries = Queries.of(system)
        for _ in range(12):
            model_id = data.draw(st.sampled_from(driver.models))
            segment = Segment(
                user_class=data.draw(st.sampled_from(ASKED_CLASSES)),
                jurisdiction=data.draw(st.sampled_from(ASKED_PLACES)),
            )
            at = data.draw(_times(log))
            known_at = data.draw(st.one_of(st.integers(1, log[-1][0]), st.just(log[-1][0])))
            _check(queries, log, model_id, segment, at, known_at)
    finally:
        system.close()
