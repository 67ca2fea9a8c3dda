"""The runner applies each event to the views exactly once, across restarts."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import IntegrityError

from application.context import CommandContext
from application.persistence.database import Cursor
from application.persistence.store import parse_url
from application.projections.base import Item, View
from application.projections.history import HistoryView
from application.projections.runner import BULK_ROWS, ProjectionRunner, _lock_views
from application.system import System
from domain.actor import Actor

PROVIDER = CommandContext(Actor(org="anthropic", role="provider"))
NORMAL, FULL = 1, 2  # SQLite's `synchronous` levels
# PostgreSQL's `synchronous_commit` in a transaction, as the SQLite level it stands for.
PG_LEVELS = {"off": NORMAL, "on": FULL}


def _history_positions(system: System) -> list[int]:
    rows = system.app.db.fetchall("SELECT position FROM regledger_history_v2 ORDER BY position")
    return [r["position"] for r in rows]


def test_history_view_holds_each_event_once_after_a_restart(store_url, clock):
    if store_url.startswith("memory://"):
        pytest.skip("the in-memory store does not outlive its process")
    system = System(parse_url(store_url), clock=clock)
    first = system.app.register_model(PROVIDER, "Fable 5", "frontier model")
    system.runner.catch_up()
    system.close()

    restarted = System(parse_url(store_url), clock=clock)
    second = restarted.app.register_model(PROVIDER, "Mythos 5", "frontier model")
    restarted.runner.catch_up()
    assert _history_positions(restarted) == [first.position, second.position]
    assert restarted.runner.position() == second.position
    restarted.close()


def test_wait_for_returns_once_the_background_runner_reaches_the_position(store_url, clock):
    system = System(parse_url(store_url), clock=clock, follow=True)
    try:
        result = system.app.register_model(PROVIDER, "Fable 5", "frontier model")
        assert system.runner.wait_for(result.position, timeout=5) >= result.position
        assert _history_positions(system) == [result.position]
    finally:
        system.close()


def _batch_synchronous(  # type: ignore[no-untyped-def]
    store_url: str, clock, signing_key: Ed25519PrivateKey | None, models: int = 1
) -> list[int]:
    """The level each batch's write commits at when `models` are registered one batch each
    (heads every 2), read inside the runner's own write transactions."""
    system = System(parse_url(store_url), clock=clock, signing_key=signing_key, tree_head_every=2)
    db, levels, batches = system.runner.target, [], [False]
    original = db.transaction

    @contextmanager
    def transaction(*, commit: bool = True, **options: bool) -> Iterator[Cursor]:
        with original(commit=commit, **options) as cur:
            if commit and batches[0]:
                if db.is_postgres:
                    cur.execute("SELECT current_setting('synchronous_commit') AS s")
                    levels.append(PG_LEVELS[cur.fetchone()["s"]])
                else:
                    cur.execute("PRAGMA synchronous")
                    levels.append(int(cur.fetchone()[0]))
            yield cur

    db.transaction = transaction  # type: ignore[method-assign]
    try:
        for n in range(models):
            system.app.register_model(PROVIDER, f"Fable {n}", "frontier model")
            batches[0] = True
            system.runner.catch_up()
            batches[0] = False
    finally:
        system.close()
    return levels


def test_view_batches_commit_without_waiting_for_the_disk_when_no_heads_are_signed(
    store_url, clock
):
    if store_url.startswith("memory://"):
        pytest.skip("only a SQLite file or PostgreSQL has a per-commit disk wait to skip")
    assert _batch_synchronous(store_url, clock, None, models=3) == [NORMAL] * 3


def test_only_the_batches_that_sign_a_tree_head_commit_durably(store_url, clock):
    if store_url.startswith("memory://"):
        pytest.skip("only a SQLite file or PostgreSQL has a per-commit disk wait to skip")
    levels = _batch_synchronous(store_url, clock, Ed25519PrivateKey.generate(), models=4)
    # Ledger sizes 1, 2, 3, 4: heads are signed at 2 and 4.
    assert levels == [NORMAL, FULL, NORMAL, FULL]


@pytest.mark.parametrize("enabled", [True, False])
def test_a_batch_leaves_cycle_collection_as_it_found_it(store_url, clock, enabled: bool):
    system = System(parse_url(store_url), clock=clock)
    was = gc.isenabled()
    try:
        system.app.register_model(PROVIDER, "Fable 5", "frontier model")
        if not enabled:
            gc.disable()
        assert system.runner.run_once() == 1
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()
        system.close()


def test_a_runner_overtaken_by_another_applies_nothing_twice(store_url, clock):
    if store_url.startswith("memory://"):
        pytest.skip("two runners need a store both can open")
    system = System(parse_url(store_url), clock=clock)
    other = System(parse_url(store_url), clock=clock)
    try:
        first = system.app.register_model(PROVIDER, "Fable 5", "frontier model")
        system.runner.catch_up()
        last = system.app.register_model(PROVIDER, "Mythos 5", "frontier model")
        # What the runner knows when it reads the log: the views as they were before `last`.
        system.runner._applied = system.runner.positions()  # noqa: SLF001
        other.runner.catch_up()  # the other runner applies `last` first

        assert system.runner.run_once() == 0  # it finds the views moved on, and gives up
        assert system.runner.overtakes == 1
        assert system.runner.run_once() == 0  # from what is tracked now: nothing left
        assert system.runner.position() == last.position
        assert _history_positions(system) == [first.position, last.position]
    finally:
        other.close()
        system.close()


def test_a_runner_leaves_a_batch_to_one_that_holds_any_of_its_views(store_url, clock):
    if not store_url.startswith("postgresql://"):
        pytest.skip("only PostgreSQL runners take a lock per view")
    system = System(parse_url(store_url), clock=clock)
    try:
        model = system.app.register_model(PROVIDER, "Fable 5", "frontier model")
        view = system.runner.views[-1]
        with system.app.db.transaction() as holder:  # another runner, writing that view
            assert _lock_views(holder, [view]).fetchone()["ok"]
            assert system.runner.run_once() == 0
            assert system.runner.overtakes == 1
        assert system.runner.run_once() == 1  # the lock gone with that transaction
        assert system.runner.position() == model.position
    finally:
        system.close()


class _ClashingView(View):
    """A view whose every batch writes one key twice: its rows clash among themselves."""

    name = "view:test-clash"
    tables = ("t_clash",)

    def create_statements(self) -> list[str]:
        return ["CREATE TABLE IF NOT EXISTS t_clash (k INTEGER PRIMARY KEY, position BIGINT)"]

    def apply(self, cur: Cursor, items: Sequence[Item]) -> None:
        cur.executemany("INSERT INTO t_clash VALUES (?,?)", [(1, i.position) for i in items])

    def digest_queries(self) -> list[str]:
        return ["SELECT * FROM t_clash ORDER BY k"]


@pytest.mark.parametrize("events", [2, BULK_ROWS + 4])
def test_a_batch_whose_rows_clash_writes_nothing_and_raises(store_url, clock, events: int):
    """On PostgreSQL the rows, the tracking records and `COMMIT` go in one pipeline (the
    clashing insert row by row with 2 events, as one statement of arrays with 20): the
    clash fails the whole batch, and nothing of it is kept."""
    system = System(parse_url(store_url), clock=clock)
    try:
        for n in range(events):
            system.app.register_model(PROVIDER, f"Fable {n}", "frontier model")
        views = [HistoryView(), _ClashingView()]
        runner = ProjectionRunner(
            system.app.recorder, system.app.mapper, system.app.db, system.tracking, views
        )
        with pytest.raises(IntegrityError):
            runner.run_once()
        assert runner.positions() == {view.name: 0 for view in views}
        assert system.app.db.fetchall("SELECT k FROM t_clash") == []
        assert _history_positions(system) == []
        # The connection serves again: a runner of the history view alone applies it all.
        assert (
            ProjectionRunner(
                system.app.recorder, system.app.mapper, system.app.db, system.tracking, views[:1]
            ).catch_up()
            == events
        )
        assert len(_history_positions(system)) == events
    finally:
        system.close()
