"""Read-your-writes, and views that survive a restart mid-stream without double-applying."""

from __future__ import annotations

import threading

import pytest
from eventsourcing.persistence import Tracking

from application.persistence.store import parse_url
from application.projections import access_facts
from application.projections.access import AccessView
from application.projections.access_facts import MENTIONS as GRID
from application.projections.base import View
from application.projections.catalog import CatalogView
from application.projections.history import TABLE as HISTORY
from application.projections.history import HistoryView
from application.projections.ledger import LEAVES_TABLE as LEAVES
from application.projections.ledger import NODES_TABLE as NODES
from application.projections.ledger import LedgerView
from application.projections.runner import ProjectionRunner, ProjectionTimeoutError
from application.queries import Queries
from application.queries.log import read_log, state_decoder
from application.system import System
from tests.application.readside.conftest import ANTHROPIC, as_, rebuilt_digests, view_digests
from tests.application.readside.test_story import tell

READ_SIDE = (HistoryView.name, CatalogView.name, AccessView.name)


def test_a_query_with_min_position_sees_the_callers_write(store_url, clock):
    system = System(parse_url(store_url), clock=clock, follow=True)
    try:
        model = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m")
        decision = Queries.of(system).access_decision(
            model.id, "domestic", "US", min_position=model.position
        )
        assert decision.position >= model.position
    finally:
        system.close()


def test_a_query_waiting_for_a_position_never_reached_times_out(system):
    model = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m")
    queries = Queries.of(system, wait_timeout=0.05)

    with pytest.raises(ProjectionTimeoutError):
        queries.access_decision(model.id, "domestic", "US", min_position=model.position + 100)


def _read_side(views: list[View]) -> list[View]:
    return [v for v in views if v.name in READ_SIDE]


def test_views_resumed_after_a_restart_equal_a_fresh_rebuild(store_url, clock, tmp_path):
    if store_url.startswith("memory://"):
        pytest.skip("the in-memory store does not outlive its process")
    story = System(parse_url(store_url), clock=clock)
    tell(story, clock, catch_up=False)
    story.runner.batch_size = 3
    story.runner.run_once()
    story.runner.run_once()
    story.close()

    restarted = System(parse_url(store_url), clock=clock)
    restarted.runner.catch_up()
    live = view_digests(restarted.app.db, _read_side(restarted.views))
    try:
        assert rebuilt_digests(restarted, tmp_path / "scratch.db", clock, READ_SIDE) == live
        assert restarted.runner.position() == restarted.app.max_position()
    finally:
        restarted.close()


def test_runners_racing_on_one_store_apply_each_event_once(store_url, clock, tmp_path):
    if store_url.startswith("memory://"):
        pytest.skip("two processes' runners need a store both can open")
    story = System(parse_url(store_url), clock=clock)
    tell(story, clock, catch_up=False)
    other = System(parse_url(store_url), clock=clock)
    runners = [story.runner, other.runner]
    for runner in runners:
        runner.batch_size = 2  # many batches, so that the two keep meeting
    errors: list[BaseException] = []

    def run(runner: ProjectionRunner) -> None:
        try:
            runner.catch_up()
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=run, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert not errors
        end = story.app.max_position()
        assert story.runner.position() == other.runner.position() == end
        history = story.app.db.fetchall(f"SELECT position FROM {HISTORY} ORDER BY position")
        assert [r["position"] for r in history] == list(range(1, end + 1))
        live = view_digests(story.app.db, _read_side(story.views))
        assert rebuilt_digests(story, tmp_path / "scratch.db", clock, READ_SIDE) == live
    finally:
        other.close()
        story.close()


def test_a_store_kept_by_the_first_history_layout_is_rebuilt_into_the_current_one(store_url, clock):
    if store_url.startswith("memory://"):
        pytest.skip("the in-memory store does not outlive its process")
    story = System(parse_url(store_url), clock=clock)
    tell(story, clock, catch_up=False)
    end = story.app.max_position()
    # What the first layout left behind: its table, with a copy of each state, tracked to the end.
    story.app.db.create(
        [
            "CREATE TABLE regledger_history (position BIGINT PRIMARY KEY, state TEXT NOT NULL)",
            "INSERT INTO regledger_history VALUES (1, '{}')",
        ]
    )
    with story.app.db.transaction() as cur:
        story.tracking._insert_tracking(cur.inner, Tracking("view:history", end))  # noqa: SLF001
    story.close()

    upgraded = System(parse_url(store_url), clock=clock)
    try:
        upgraded.runner.catch_up()
        rows = upgraded.app.db.fetchall(f"SELECT position FROM {HISTORY} ORDER BY position")
        assert [r["position"] for r in rows] == list(range(1, end + 1))
        tables = upgraded.app.db.fetchall(
            "SELECT table_name AS name FROM information_schema.tables WHERE table_name = ?"
            if upgraded.app.db.is_postgres
            else "SELECT name FROM sqlite_master WHERE type='table' AND name = ?",
            ("regledger_history",),
        )
        assert tables == []
        log = read_log(upgraded.app.db, state_decoder(upgraded.app.mapper), 0, end)
        assert [e.position for e in log] == list(range(1, end + 1))
        assert log[0].type == "Registered" and log[0].data["name"] == "Fable 5"
    finally:
        upgraded.close()


# The history's and the ledger's tables as stores made them before their keys became
# SQLite's row ids (and the nodes' table its key's own b-tree): the same columns and keys.
_KEYED_APART = [
    f"CREATE TABLE {HISTORY} (position BIGINT PRIMARY KEY, aggregate_id TEXT NOT NULL, "
    "aggregate_kind TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL, "
    "actor_org TEXT, actor_role TEXT, effective_at TEXT, recorded_at TEXT NOT NULL, "
    "causation_id TEXT, leaf_hash TEXT NOT NULL)",
    f"CREATE TABLE {LEAVES} (leaf_index BIGINT PRIMARY KEY, position BIGINT NOT NULL, "
    "leaf_hash BLOB NOT NULL)",
    f"CREATE TABLE {NODES} (lvl INTEGER NOT NULL, idx BIGINT NOT NULL, hash BLOB NOT NULL, "
    "PRIMARY KEY (lvl, idx))",
]


def _tables_with_a_key_index(db) -> set[str]:
    """The SQLite tables whose key lives in an index of its own, apart from their rows."""
    rows = db.fetchall(
        "SELECT tbl_name AS t FROM sqlite_master WHERE name LIKE 'sqlite_autoindex_%'"
    )
    return {r["t"] for r in rows}


def test_history_and_ledger_tables_keyed_apart_by_an_earlier_release_are_kept_and_agree(
    store_url, clock, tmp_path
):
    if store_url.startswith("memory://"):
        pytest.skip("the in-memory store does not outlive its process")
    made = System(parse_url(store_url), clock=clock)
    with made.app.db.transaction() as cur:
        for table in (HISTORY, LEAVES, NODES):
            cur.execute(f"DROP TABLE {table}")
    made.app.db.create(_KEYED_APART)
    made.close()

    story = System(parse_url(store_url), clock=clock)
    try:
        tell(story, clock)
        names = [HistoryView.name, LedgerView.name]
        kept = [v for v in story.views if v.name in names]
        assert view_digests(story.app.db, kept) == rebuilt_digests(
            story, tmp_path / "scratch.db", clock, names
        )
        if not story.app.db.is_postgres:  # the earlier tables are still there, as they were
            assert {HISTORY, LEAVES, NODES} <= _tables_with_a_key_index(story.app.db)
    finally:
        story.close()


def test_a_fresh_sqlite_store_keys_history_and_ledger_by_row_id(tmp_path, clock):
    store = System(parse_url(f"sqlite:///{tmp_path / 'fresh.db'}"), clock=clock)
    try:
        assert {HISTORY, LEAVES, NODES}.isdisjoint(_tables_with_a_key_index(store.app.db))
    finally:
        store.close()


def _decision(queries: Queries, model_id: str) -> dict[str, object]:
    return queries.access_decision(model_id, "domestic", "US").model_dump(exclude={"at"})


def test_a_store_kept_by_the_second_access_layout_is_rebuilt_into_the_current_one(
    store_url, clock, tmp_path
):
    if store_url.startswith("memory://"):
        pytest.skip("the in-memory store does not outlive its process")
    story = System(parse_url(store_url), clock=clock)
    tell(story, clock)
    end = story.app.max_position()
    queries = Queries.of(story)
    models = [r["model_id"] for r in story.app.db.fetchall(f"SELECT model_id FROM {GRID}")]
    before = {m: _decision(queries, m) for m in set(models)}
    # What the second layout left behind: its tables (named without the version), full,
    # tracked to the end under the second layout's name; nothing under the current one.
    db = story.app.db
    with db.transaction() as cur:
        for table in access_facts.TABLES:
            cur.execute(f"ALTER TABLE {table} RENAME TO {table.removesuffix('_v3')}")
        cur.execute(
            f"DELETE FROM {db.config.tracking_table} WHERE application_name = ?",
            (AccessView.name,),
        )
        story.tracking._insert_tracking(cur.inner, Tracking("view:access:v2", end))  # noqa: SLF001
    story.close()

    upgraded = System(parse_url(store_url), clock=clock)
    try:
        upgraded.runner.catch_up()
        access = [v for v in upgraded.views if v.name == AccessView.name]
        assert view_digests(upgraded.app.db, access) == rebuilt_digests(
            upgraded, tmp_path / "scratch.db", clock, [AccessView.name]
        )
        again = Queries.of(upgraded)
        assert {m: _decision(again, m) for m in before} == before
        left = upgraded.app.db.fetchall(
            "SELECT table_name AS name FROM information_schema.tables WHERE table_name LIKE ?"
            if upgraded.app.db.is_postgres
            else "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE ?",
            ("regledger_access_%",),
        )
        assert sorted(r["name"] for r in left) == sorted(access_facts.TABLES)
    finally:
        upgraded.close()


def test_views_written_in_one_batch_equal_a_rebuild_made_row_by_row(
    store_url, clock, tmp_path, monkeypatch
):
    """The whole log in one batch (on PostgreSQL its larger inserts go as column arrays,
    `Database.bulk_insert`) leaves every view, the ledger's hashes included, as a SQLite
    rebuild does, whose inserts go a row at a time."""
    if store_url.startswith("memory://"):
        pytest.skip("the in-memory store does not outlive its process")
    story = System(parse_url(store_url), clock=clock)
    try:
        tell(story, clock, catch_up=False)
        for n in range(20):  # enough rows for one statement to go in bulk
            story.app.register_model(as_(ANTHROPIC), f"Haiku {n}", "small 'model', {\\\"x\\\"}")
        bulk: list[str] = []
        original = story.app.db.bulk_insert

        def spy(statement: str) -> str | None:
            made = original(statement)
            if made is not None:
                bulk.append(statement)
            return made

        monkeypatch.setattr(story.app.db, "bulk_insert", spy)
        story.runner.batch_size = 10_000
        assert story.runner.run_once() == story.app.max_position()
        if story.app.db.is_postgres:
            assert any(HISTORY in s for s in bulk)
            assert any(GRID in s for s in bulk)
            assert any("regledger_ledger_leaves" in s for s in bulk)
            assert any("regledger_models" in s for s in bulk)
        else:
            assert bulk == []
        live = view_digests(story.app.db, story.views)
        assert rebuilt_digests(story, tmp_path / "scratch.db", clock) == live
    finally:
        story.close()
