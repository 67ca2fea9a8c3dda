"""SPEC §10: a server killed with SIGKILL under write load loses no acknowledged command,
records no partial one, its views resume exactly where they stopped, and replay agrees.

Once per store, `regledger serve` runs under concurrent writes (registrations, suspensions,
restorations and whole appeal cases: filing, stay, decision or withdrawal), is SIGKILLed
mid-load and restarted on the same store. The tests below each check one consequence.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest

from application.persistence.store import parse_url
from application.projections.history import HistoryView
from application.system import System
from tests.reliability.harness import (
    LIVE_STORES,
    Server,
    add_principal,
    cli,
    environment,
    running,
    store_of_kind,
)
from tests.reliability.invariants import (
    Ack,
    Entry,
    half_recorded,
    history_positions,
    lost_acknowledgements,
    read_log,
    version_gaps,
    view_positions,
)
from tests.reliability.load import Parties, WriteLoad

pytestmark = pytest.mark.slow

KILLS = 3
ACKS_PER_ROUND = 120
# Every kind of command the write load makes.
COMMANDS = {"register", "suspend", "restore", "issue", "file", "stay", "decide", "withdraw"}
CATCH_UP_TIMEOUT = 60.0


@dataclass
class Snapshot:
    """The store as a kill left it: the log, each view's tracked position, the history view."""

    log: list[Entry]
    views: dict[str, int]
    history: list[int]


@dataclass
class Crash:
    """Every kill's acknowledgements and snapshot, and the store after the last restart."""

    acks: list[Ack]
    unexpected: list[str]
    kills: list[Snapshot]
    final: Snapshot
    first_new: Ack | None
    verify: subprocess.CompletedProcess[str]
    replay: subprocess.CompletedProcess[str]


def _snapshot(url: str) -> Snapshot:
    system = System(parse_url(url))
    try:
        return Snapshot(read_log(system.app), view_positions(system), history_positions(system))
    finally:
        system.close()


def _wait_for_views(url: str, timeout: float) -> None:
    system = System(parse_url(url))
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if min(view_positions(system).values()) >= system.app.max_position():
                return
            time.sleep(0.1)
    finally:
        system.close()
    raise AssertionError(f"views did not catch up within {timeout} s")


def _record_one(server: Server, token: str) -> Ack | None:
    with server.client(token) as client:
        answer = client.post("/v1/models", json={"name": "after the crash", "description": ""})
    if answer.status_code != 201:
        return None
    body = answer.json()
    return Ack("register", UUID(body["id"]), body["version"], body["position"])


def _kill_under_load(server: Server, parties: Parties, missing: set[str]) -> WriteLoad:
    """Kill the server under load once it has acknowledged a round's commands, among them
    each kind `missing` from the rounds before (the workflows reach a withdrawal or a
    decision only after a few cases, so a loaded machine could otherwise kill first)."""
    with running(server):
        load = WriteLoad(server.base_url, parties, operational=4, workflows=3)
        load.start()
        load.wait_for_acks(ACKS_PER_ROUND, timeout=45, kinds=missing)
        server.kill()  # while every thread still has a request in flight
        load.stop()
    return load


def _crash(kind: str, workdir: Path) -> Iterator[Crash]:
    with store_of_kind(kind, workdir) as url:
        env = environment(url, workdir)
        parties = Parties(
            provider=add_principal(env, "anthropic", "provider")[1],
            regulator=add_principal(env, "us-bis", "regulator")[1],
            adjudicator=add_principal(env, "trade-court", "adjudicator")[1],
        )
        acks: list[Ack] = []
        unexpected: list[str] = []
        kills = []
        for n in range(KILLS):
            missing = COMMANDS - {a.command for a in acks}
            load = _kill_under_load(Server(env, workdir, f"serve-{n}"), parties, missing)
            acks += load.acks
            unexpected += load.unexpected
            kills.append(_snapshot(url))

        last = Server(env, workdir, "serve-after-kills")
        with running(last):
            _wait_for_views(url, CATCH_UP_TIMEOUT)
            first_new = _record_one(last, parties.provider)
            _wait_for_views(url, CATCH_UP_TIMEOUT)
            last.stop()
        yield Crash(
            acks=acks,
            unexpected=unexpected,
            kills=kills,
            final=_snapshot(url),
            first_new=first_new,
            verify=cli(env, "verify"),
            replay=cli(env, "replay"),
        )


@pytest.fixture(scope="module", params=LIVE_STORES)
def crash(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Crash]:
    """Servers SIGKILLed under write load, restarted on the same store, of each kind."""
    yield from _crash(request.param, tmp_path_factory.mktemp(f"crash-{request.param}"))


def test_load_was_acknowledged_and_refused_nothing_before_each_kill(crash: Crash) -> None:
    assert len(crash.acks) >= KILLS * ACKS_PER_ROUND
    assert {a.command for a in crash.acks} == COMMANDS
    assert crash.unexpected == []


def test_every_acknowledged_command_is_in_the_log_after_each_kill(crash: Crash) -> None:
    for snapshot in crash.kills:
        acked = [a for a in crash.acks if a.position <= snapshot.log[-1].position]
        assert lost_acknowledgements(snapshot.log, acked) == []
    assert lost_acknowledgements(crash.final.log, crash.acks) == []


def test_no_command_is_half_recorded_by_a_kill(crash: Crash) -> None:
    for snapshot in crash.kills:
        assert half_recorded(snapshot.log) == []
        assert version_gaps(snapshot.log) == []


def test_views_at_each_kill_hold_exactly_the_positions_they_track(crash: Crash) -> None:
    for snapshot in crash.kills:
        tracked = snapshot.views[HistoryView.name]
        assert snapshot.history == [e.position for e in snapshot.log if e.position <= tracked]


def test_views_resume_and_apply_every_position_exactly_once(crash: Crash) -> None:
    last = crash.final.log[-1].position

    assert crash.final.history == [e.position for e in crash.final.log]
    assert set(crash.final.views.values()) == {last}


def test_restarts_change_nothing_recorded_before_a_kill(crash: Crash) -> None:
    for snapshot in crash.kills:
        assert crash.final.log[: len(snapshot.log)] == snapshot.log


def test_restarted_server_records_new_commands_after_the_last_position(crash: Crash) -> None:
    assert crash.first_new is not None
    assert crash.first_new.position > crash.kills[-1].log[-1].position
    assert lost_acknowledgements(crash.final.log, [crash.first_new]) == []


def test_verify_and_replay_pass_after_the_kills(crash: Crash) -> None:
    assert crash.verify.returncode == 0, crash.verify.stdout + crash.verify.stderr
    assert crash.replay.returncode == 0, crash.replay.stdout + crash.replay.stderr
