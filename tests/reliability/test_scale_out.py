"""Scale-out on PostgreSQL: two stateless API processes and one worker share one database.

Writes go through both servers at once; each server's reads with `min_position` see writes
made through the other (the views are kept by the worker alone); a race between the two
processes has exactly one winner; at the end every position is in the views exactly once and
the ledger and views verify.
"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest

from tests.reliability.harness import (
    Process,
    Server,
    add_principal,
    cli,
    environment,
    fresh_pg_database,
    running,
)

pytestmark = pytest.mark.slow

WRITERS = 6
MODELS_PER_WRITER = 15
EVERYONE = {"user_classes": ["*"], "jurisdictions": ["*"]}


def test_two_api_processes_and_one_worker_keep_every_guarantee(tmp_path: Path) -> None:
    with fresh_pg_database() as url:
        env = environment(url, tmp_path, run_projections="false", min_position_timeout="20")
        _, provider = add_principal(env, "anthropic", "provider")
        _, regulator = add_principal(env, "us-bis", "regulator")
        one, other = Server(env, tmp_path, "serve-1"), Server(env, tmp_path, "serve-2")
        worker = Process(["worker"], env, tmp_path / "worker.log")
        with running(one), running(other), running(worker):
            acknowledged = _write_through_both(one, other, provider)
            _reads_see_the_other_process_writes(one, other, provider)
            _a_race_across_processes_has_one_winner(one, other, provider, regulator)

        assert len(acknowledged) == WRITERS * MODELS_PER_WRITER * 2
        catch_up = cli(env, "worker", "--once")
        assert catch_up.returncode == 0, catch_up.stderr
        verified = cli(env, "verify", "--catch-up")
        assert verified.returncode == 0, verified.stdout + verified.stderr


def _write_through_both(one: Server, other: Server, token: str) -> list[tuple[str, int]]:
    acknowledged: list[tuple[str, int]] = []
    errors: list[str] = []
    lock = threading.Lock()
    servers = itertools.cycle([one, other])

    def write(server: Server, writer: int) -> None:
        with server.client(token) as client:
            for n in range(MODELS_PER_WRITER):
                made = client.post("/v1/models", json={"name": f"m{writer}-{n}"})
                suspended = client.post(
                    f"/v1/models/{made.json().get('id')}/suspensions",
                    json={"scope": EVERYONE, "reason": "load"},
                )
                with lock:
                    for answer in (made, suspended):
                        if answer.status_code in (200, 201):
                            acknowledged.append((answer.json()["id"], answer.json()["position"]))
                        else:
                            errors.append(answer.text)

    threads = [threading.Thread(target=write, args=(next(servers), w)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return acknowledged


def _reads_see_the_other_process_writes(one: Server, other: Server, token: str) -> None:
    with one.client(token) as writer, other.client() as reader:
        made = writer.post("/v1/models", json={"name": "seen elsewhere"}).json()
        suspended = writer.post(
            f"/v1/models/{made['id']}/suspensions", json={"scope": EVERYONE, "reason": "x"}
        ).json()
        decision = reader.get(
            f"/v1/models/{made['id']}/access",
            params={
                "user_class": "domestic",
                "jurisdiction": "US",
                "min_position": suspended["position"],
            },
        )
    assert decision.status_code == 200, decision.text
    assert decision.json()["operational_status"] == "suspended"
    assert decision.json()["position"] >= suspended["position"]


def _a_race_across_processes_has_one_winner(
    one: Server, other: Server, provider: str, regulator: str
) -> None:
    with one.client(provider) as p, one.client(regulator) as r:
        model = p.post("/v1/models", json={"name": "raced"}).json()["id"]
        directive = r.post(
            "/v1/directives",
            json={
                "reference": "RACE-1",
                "provider": "anthropic",
                "model_ids": [model],
                "scope": EVERYONE,
                "authority": "law",
                "grounds": "g",
            },
        ).json()["id"]
        appeal = p.post(
            "/v1/appeals",
            json={
                "directive_id": directive,
                "grounds": "g",
                "requested_relief": "r",
                "stay_requested": False,
            },
        ).json()["id"]
        p.post(f"/v1/appeals/{appeal}/proposals", json={"terms": "t"})
    answers: list[int] = []
    barrier = threading.Barrier(2)

    def accept(server: Server) -> None:
        with server.client(regulator) as client:
            barrier.wait()
            answer = client.post(f"/v1/appeals/{appeal}/proposals/1/acceptance", json={})
            answers.append(answer.status_code)

    threads = [threading.Thread(target=accept, args=(s,)) for s in (one, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [200, 409]
