"""Where a command runs: alone on a local store, on the event loop; else in the thread pool.

A command run on the loop never waits there for a lock: when the writer is busy, nothing is
recorded by the attempt, and the command runs in the thread pool, which waits for it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Any

import anyio.to_thread
import pytest

from application.persistence.sqlite import StatementCachingPool
from application.persistence.store import StoreKind, parse_url
from interfaces.api.observability import Metrics
from tests.interfaces.api.conftest import Api

MODEL = {"name": "Fable 5", "description": ""}


def on_loop(api: Api) -> float:
    """Commands run on the event loop so far."""
    metrics: Metrics = api.client.app.state.metrics  # type: ignore[attr-defined]
    value = metrics.registry.get_sample_value("regledger_commands_on_loop_total")
    assert value is not None
    return value


class Hops:
    """The work of each thread-pool hop, by name, as the hops start; and who to tell."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.listeners: list[Callable[[], object]] = []


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Hops:
    """Thread-pool hops, counted."""
    seen = Hops()
    run_sync = anyio.to_thread.run_sync

    async def counted(func: Any, *args: Any, **kwargs: Any) -> Any:
        seen.names.append(getattr(func, "func", func).__qualname__)  # the work, not a partial
        for listener in seen.listeners:
            listener()
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    return seen


def local(api: Api) -> bool:
    return bool(api.system.app.db.is_local)


def test_a_lone_command_on_a_local_store_runs_on_the_event_loop(api: Api, hops: Hops) -> None:
    before = on_loop(api)

    created = api.ok("/v1/models", MODEL, api.tokens.anthropic)

    assert created["version"] == 1
    if local(api):
        assert hops.names == []
        assert on_loop(api) == before + 1
    else:
        # Over a network the command makes one hop, its token looked up in it.
        assert hops.names == ["Invocation.run"]
        assert on_loop(api) == before


def test_a_command_with_other_requests_in_flight_runs_in_the_thread_pool(
    api: Api, hops: Hops
) -> None:
    metrics: Metrics = api.client.app.state.metrics  # type: ignore[attr-defined]
    before = on_loop(api)
    metrics.in_flight += 1  # another request being answered
    try:
        created = api.ok("/v1/models", MODEL, api.tokens.anthropic)
    finally:
        metrics.in_flight -= 1

    assert created["version"] == 1
    # One hop on every store: on a local store the token lookup is one indexed read on the
    # event loop; on any other it is made in the command's own hop, not in one of its own.
    assert hops.names == ["Invocation.run"]
    assert on_loop(api) == before


def test_requests_in_flight_are_counted_while_answered(api: Api) -> None:
    metrics: Metrics = api.client.app.state.metrics  # type: ignore[attr-defined]
    seen: list[int] = []

    @api.client.app.get("/test/in-flight")  # type: ignore[attr-defined]
    async def in_flight() -> dict[str, int]:
        seen.append(metrics.in_flight)
        return {}

    assert api.get("/test/in-flight").status_code == 200
    assert seen == [1]
    assert metrics.in_flight == 0


def test_a_command_that_finds_the_writer_busy_waits_for_it_in_the_thread_pool(
    api: Api, hops: Hops, store_url: str
) -> None:
    if parse_url(store_url).kind != StoreKind.SQLITE:
        # Over a network commands always hop; in memory the token's lookup, a read, would
        # wait for the writer before the command could find it busy.
        pytest.skip("a writer held apart from the command's own, on a SQLite file only")
    position, before = api.position(), on_loop(api)
    held, release = threading.Event(), threading.Event()
    hops.listeners.append(release.set)

    def hold_the_writer() -> None:
        with api.system.app.db.transaction():
            held.set()
            release.wait(timeout=30)

    holder = threading.Thread(target=hold_the_writer)
    holder.start()
    try:
        assert held.wait(timeout=30)
        created = api.ok("/v1/models", MODEL, api.tokens.anthropic)
    finally:
        release.set()
        holder.join()

    assert created["version"] == 1
    assert hops.names == ["Invocation.run"]  # tried on the loop, found the writer busy, hopped
    assert on_loop(api) == before
    assert api.position() == position + 1  # recorded once: the attempt recorded nothing


def test_a_command_that_meets_another_process_lock_waits_for_it_in_the_thread_pool(
    api: Api, hops: Hops, store_url: str
) -> None:
    config = parse_url(store_url)
    if config.kind != StoreKind.SQLITE or config.sqlite_path in ("", ":memory:"):
        pytest.skip("only a SQLite file is shared with other processes")
    position, before = api.position(), on_loop(api)
    release = threading.Event()
    hops.listeners.append(release.set)
    other = sqlite3.connect(config.sqlite_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # as another process's writer would

    def commit_when_released() -> None:
        release.wait(timeout=30)
        other.execute("COMMIT")

    committer = threading.Thread(target=commit_when_released)
    committer.start()
    try:
        created = api.ok("/v1/models", MODEL, api.tokens.anthropic)
    finally:
        release.set()
        committer.join()
        other.close()

    assert created["version"] == 1
    assert hops.names == ["Invocation.run"]
    assert on_loop(api) == before
    assert api.position() == position + 1
    # The writer waits for locks again once the attempt has given it back.
    pool = api.system.app.db.datastore.pool
    assert isinstance(pool, StatementCachingPool)
    conn = pool.get_connection(is_writer=True)
    try:
        with conn.cursor() as pragma:
            pragma.execute("PRAGMA busy_timeout")
            assert pragma.fetchone()[0] == round((pool.lock_timeout or 5) * 1000)
    finally:
        pool.put_connection(conn)


def test_a_rule_broken_on_the_event_loop_is_a_409_and_records_nothing(api: Api) -> None:
    api.ok("/v1/models", MODEL, api.tokens.anthropic)
    position = api.position()

    response = api.post("/v1/models", MODEL, api.tokens.anthropic)

    assert response.status_code == 409
    assert response.json()["rule"] == "model-name-taken"
    assert api.position() == position


def test_an_open_event_stream_does_not_keep_commands_off_the_loop(api: Api) -> None:
    if not local(api):
        pytest.skip("commands on a store across a network always run in the thread pool")
    end, before = api.position(), on_loop(api)
    answered: list[int] = []

    def later() -> None:
        answered.append(api.post("/v1/models", MODEL, api.tokens.anthropic).status_code)
        api.system.runner.catch_up()

    timer = threading.Timer(0.3, later)
    timer.start()
    try:
        response = api.client.get(
            "/v1/events/stream",
            params={"after": end, "limit": 1},
            headers={"Authorization": f"Bearer {api.tokens.auditor}"},
        )
    finally:
        timer.join()

    assert response.status_code == 200
    assert answered == [201]
    assert on_loop(api) == before + 1
    metrics: Metrics = api.client.app.state.metrics  # type: ignore[attr-defined]
    assert metrics.in_flight == 0
