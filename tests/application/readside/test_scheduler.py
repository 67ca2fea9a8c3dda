"""Expiry and deadlines: honoured by time alone, then written down once by the scheduler."""

from __future__ import annotations

import contextlib
import threading
from uuid import UUID

from eventsourcing.persistence import OperationalError

from application.persistence.store import parse_url
from application.scheduler import Scheduler, run_due
from application.system import System
from domain.scope import Scope
from tests.application.readside.conftest import ANTHROPIC, US_BIS, as_, day


def _expiring(system) -> tuple:  # type: ignore[no-untyped-def]
    model = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m").id
    directive = system.app.issue_directive(
        as_(US_BIS),
        "BIS-1",
        "anthropic",
        [model],
        Scope.everyone(),
        "law",
        "g",
        expires_at=day(5, 10),
    ).id
    return model, directive


def _names(system, aggregate_id) -> list[str]:  # type: ignore[no-untyped-def]
    return [type(e).__name__ for e in system.app.aggregate_events(aggregate_id)]


def test_expiry_is_honoured_by_time_before_any_event_says_so(system, clock, queries):
    model, directive = _expiring(system)
    clock.now = day(5, 12)
    system.runner.catch_up()

    in_force = queries.access_decision(model, "domestic", "US", at=day(5, 9))
    lapsed = queries.access_decision(model, "domestic", "US", at=day(5, 11))

    assert (in_force.legal_status, in_force.valid_until) == ("restricted", day(5, 10))
    assert lapsed.legal_status == "unrestricted"
    assert "Expired" not in _names(system, directive)


def test_a_directive_past_its_expiry_lists_as_expired(system, clock, queries):
    _, directive = _expiring(system)
    clock.now = day(5, 12)
    system.runner.catch_up()

    expired = queries.list_directives(state="expired").items
    in_force = queries.list_directives(state="in_force", now=day(5, 9)).items

    assert [d.id for d in expired] == [directive]
    assert [d.id for d in in_force] == [directive]


def test_the_scheduler_records_an_expiry_once(system, clock):
    _, directive = _expiring(system)
    clock.now = day(5, 12)
    system.runner.catch_up()

    first = run_due(system)
    system.runner.catch_up()
    second = run_due(system)

    assert (first.expired, second.expired) == ([directive], [])
    assert _names(system, directive).count("Expired") == 1


def test_a_recorded_expiry_changes_no_access_answer(system, clock, queries):
    model, _ = _expiring(system)
    clock.now = day(5, 12)
    system.runner.catch_up()
    before = queries.status_matrix(model, at=day(5, 9))

    run_due(system)
    system.runner.catch_up()

    after = queries.status_matrix(model, at=day(5, 9))
    assert after.position > before.position
    assert [d.model_dump(exclude={"position"}) for d in after.segments] == [
        d.model_dump(exclude={"position"}) for d in before.segments
    ]


def test_two_workers_at_once_record_an_expiry_once(system, clock, store_url):
    _, directive = _expiring(system)
    clock.now = day(5, 12)
    system.runner.catch_up()
    other = System(parse_url(store_url), clock=clock)
    start = threading.Barrier(2)
    recorded: list[UUID] = []

    def work(target) -> None:  # type: ignore[no-untyped-def]
        start.wait()
        with contextlib.suppress(OperationalError):  # a busy store: the next run tries again
            recorded.extend(run_due(target).expired)

    try:
        threads = [threading.Thread(target=work, args=(s,)) for s in (system, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        other.close()
    # A worker that found the store busy (an in-memory store's locks do not wait) leaves the
    # expiry to the next run: the two never record it twice, and the next run finishes it.
    assert len(recorded) <= 1
    assert _names(system, directive).count("Expired") == len(recorded)  # as reported
    after = run_due(system).expired

    assert len(recorded) + len(after) == 1
    assert _names(system, directive).count("Expired") == 1


def test_a_run_that_finds_the_store_busy_leaves_the_expiry_to_the_next(system, clock, monkeypatch):
    _, directive = _expiring(system)
    clock.now = day(5, 12)
    system.runner.catch_up()
    real_get = system.app.repository.get

    def busy(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("database table is locked")

    monkeypatch.setattr(system.app.repository, "get", busy)
    assert run_due(system).expired == []
    monkeypatch.setattr(system.app.repository, "get", real_get)

    assert run_due(system).expired == [directive]
    assert _names(system, directive).count("Expired") == 1


def _appeal(system, clock):  # type: ignore[no-untyped-def]
    model = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m").id
    directive = system.app.issue_directive(
        as_(US_BIS), "BIS-2", "anthropic", [model], Scope.everyone(), "law", "g"
    ).id
    clock.now = day(5, 2)
    return system.app.file_appeal(as_(ANTHROPIC), directive, "g", "relief", False).id


def test_a_lapsed_deadline_is_flagged_in_cases_by_time(system, clock, queries):
    appeal = _appeal(system, clock)
    system.runner.catch_up()

    early = queries.list_cases(now=day(5, 31))
    late = queries.list_cases(now=day(6, 2))

    assert [(c.appeal_id, c.deadline_lapsed) for c in early] == [(appeal, False)]
    assert [(c.appeal_id, c.deadline_lapsed) for c in late] == [(appeal, True)]
    assert late[0].lapsed_recorded == []


def test_the_scheduler_records_a_lapsed_deadline_once(system, clock, queries):
    appeal = _appeal(system, clock)
    clock.now = day(6, 2)
    system.runner.catch_up()

    first = run_due(system)
    system.runner.catch_up()
    second = run_due(system)
    system.runner.catch_up()

    assert (first.deadlines, second.deadlines) == ([appeal], [])
    assert _names(system, appeal).count("DeadlinePassed") == 1
    assert queries.list_cases()[0].lapsed_recorded == ["respond_by"]


def test_the_scheduler_thread_records_what_is_due(system, clock):
    _, directive = _expiring(system)
    clock.now = day(5, 12)
    system.runner.catch_up()
    scheduler = Scheduler(system, interval=0.01)

    scheduler.start()
    try:
        for _ in range(1000):
            if scheduler.runs >= 2 or scheduler.error is not None:
                break
            threading.Event().wait(0.01)
    finally:
        scheduler.stop()

    assert scheduler.error is None
    assert _names(system, directive).count("Expired") == 1
