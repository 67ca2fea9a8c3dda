"""SPEC §6 under contention: many clients at once against a live server.

Of many concurrent commands that cannot all succeed, exactly one wins and the others get
409 (lost the race) or 412 (stale If-Match); concurrent retries under one Idempotency-Key
record once and all get the first response. The log never holds a duplicate.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from application.persistence.store import parse_url
from application.principals import PrincipalStore
from application.system import System
from tests.reliability.harness import LIVE_STORES, Server, environment, running, store_of_kind
from tests.reliability.load import FOREIGN, NARROWER

CLIENTS = 12
JURISDICTIONS = ("CN", "RU", "IR", "KP", "SY", "CU", "BY", "VE", "MM", "AF", "IQ", "LY")


@dataclass
class Live:
    """A running server and the tokens of the case's parties."""

    server: Server
    provider: str
    regulator: str
    adjudicator: str

    def client(self, token: str) -> httpx.Client:
        """A client speaking as `token`."""
        return self.server.client(token)

    def ok(self, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST that must succeed."""
        with self.client(token) as c:
            answer = c.post(path, json=body)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()  # type: ignore[no-any-return]

    def history(self, kind: str, record_id: str) -> list[str]:
        """The event types of one record."""
        with self.client(self.adjudicator) as c:
            answer = c.get(f"/v1/{kind}/{record_id}/history")
        assert answer.status_code == 200, answer.text
        return [e["type"] for e in answer.json()["events"]]


def _tokens(url: str) -> tuple[str, str, str]:
    system = System(parse_url(url))
    try:
        principals = PrincipalStore(system.app.db)
        return (
            principals.add("anthropic", "provider")[1],
            principals.add("us-bis", "regulator")[1],
            principals.add("trade-court", "adjudicator")[1],
        )
    finally:
        system.close()


@pytest.fixture(scope="module", params=LIVE_STORES)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """`regledger serve` on a fresh store of each kind."""
    workdir: Path = tmp_path_factory.mktemp(f"races-{request.param}")
    with store_of_kind(request.param, workdir) as url:
        provider, regulator, adjudicator = _tokens(url)
        server = Server(environment(url, workdir), workdir)
        with running(server):
            yield Live(server, provider, regulator, adjudicator)


def at_once(
    live: Live, calls: list[tuple[str, Callable[[httpx.Client], httpx.Response]]]
) -> list[httpx.Response]:
    """Run each (token, call) in its own thread and connection, released together."""
    barrier = threading.Barrier(len(calls))
    answers: list[httpx.Response | None] = [None] * len(calls)

    def run(i: int, token: str, call: Callable[[httpx.Client], httpx.Response]) -> None:
        with live.client(token) as c:
            c.get("/healthz")  # the connection is open before the race starts
            barrier.wait()
            answers[i] = call(c)

    threads = [threading.Thread(target=run, args=(i, *c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(a is not None for a in answers)
    return answers  # type: ignore[return-value]


def statuses(answers: list[httpx.Response]) -> Counter[int]:
    """How many answers had each status."""
    return Counter(a.status_code for a in answers)


def open_case(live: Live, stay: bool = False) -> tuple[str, str]:
    """A fresh model, a directive against it and an appeal: (directive id, appeal id)."""
    name = uuid.uuid4().hex[:10]
    model = live.ok(live.provider, "/v1/models", {"name": f"race {name}", "description": ""})
    directive = live.ok(
        live.regulator,
        "/v1/directives",
        {
            "reference": f"RACE-{name}",
            "provider": "anthropic",
            "model_ids": [model["id"]],
            "scope": FOREIGN,
            "authority": "EAR",
            "grounds": "race",
        },
    )
    appeal = live.ok(
        live.provider,
        "/v1/appeals",
        {
            "directive_id": directive["id"],
            "grounds": "g",
            "requested_relief": "r",
            "stay_requested": stay,
        },
    )
    return directive["id"], appeal["id"]


def test_only_one_of_many_concurrent_acceptances_of_a_proposal_wins(live: Live) -> None:
    _, appeal = open_case(live)
    live.ok(
        live.provider, f"/v1/appeals/{appeal}/proposals", {"terms": "t", "proposed_scope": NARROWER}
    )
    path = f"/v1/appeals/{appeal}/proposals/1/acceptance"

    answers = at_once(live, [(live.regulator, lambda c: c.post(path, json={}))] * CLIENTS)

    assert statuses(answers) == {200: 1, 409: CLIENTS - 1}
    assert live.history("appeals", appeal).count("ProposalAccepted") == 1


def test_only_one_of_many_concurrent_decisions_of_an_appeal_wins(live: Live) -> None:
    directive, appeal = open_case(live, stay=True)
    live.ok(live.adjudicator, f"/v1/appeals/{appeal}/stay", {"granted": True, "reason": "s"})
    path = f"/v1/appeals/{appeal}/decision"
    bodies = [{"outcome": "overturned", "reasons": "r"}, {"outcome": "upheld", "reasons": "r"}]
    deciders = [live.adjudicator, live.regulator]

    answers = at_once(
        live,
        [
            (deciders[i % 2], lambda c, body=bodies[i % 2]: c.post(path, json=body))
            for i in range(CLIENTS)
        ],
    )

    assert statuses(answers) == {200: 1, 409: CLIENTS - 1}
    assert live.history("appeals", appeal).count("Decided") == 1
    consequences = live.history("directives", directive)
    assert consequences.count("AppealClosed") == 1
    assert consequences.count("Rescinded") + consequences.count("StayLifted") == 1


def test_only_one_of_many_amendments_with_the_same_if_match_wins(live: Live) -> None:
    directive, _ = open_case(live)
    with live.client(live.regulator) as c:
        version = c.get(f"/v1/directives/{directive}").json()["version"]
    path = f"/v1/directives/{directive}/amendments"
    headers = {"If-Match": f'"{version}"'}

    def amend(jurisdiction: str) -> Callable[[httpx.Client], httpx.Response]:
        scope = {"user_classes": ["foreign_national"], "jurisdictions": [jurisdiction]}
        return lambda c: c.post(path, json={"scope": scope, "reason": "r"}, headers=headers)

    answers = at_once(live, [(live.regulator, amend(j)) for j in JURISDICTIONS[:CLIENTS]])

    found = statuses(answers)
    assert found[200] == 1
    assert found[409] + found[412] == CLIENTS - 1
    assert live.history("directives", directive).count("Amended") == 1
    winner = next(a for a in answers if a.status_code == 200)
    assert winner.json()["version"] == version + 1


def test_concurrent_retries_of_a_registration_with_one_idempotency_key_record_once(
    live: Live,
) -> None:
    body = {"name": f"retried {uuid.uuid4().hex[:8]}", "description": ""}
    headers = {"Idempotency-Key": uuid.uuid4().hex}

    answers = at_once(
        live,
        [(live.provider, lambda c: c.post("/v1/models", json=body, headers=headers))] * CLIENTS,
    )

    assert statuses(answers) == {201: CLIENTS}, [a.text for a in answers]
    assert len({a.text for a in answers}) == 1
    model = answers[0].json()["id"]
    assert live.history("models", model) == ["Registered"]


def test_concurrent_retries_of_a_suspension_with_one_idempotency_key_record_once(
    live: Live,
) -> None:
    model = live.ok(live.provider, "/v1/models", {"name": uuid.uuid4().hex, "description": ""})
    path = f"/v1/models/{model['id']}/suspensions"
    body = {"scope": FOREIGN, "reason": "retried"}
    headers = {"Idempotency-Key": uuid.uuid4().hex}

    answers = at_once(
        live, [(live.provider, lambda c: c.post(path, json=body, headers=headers))] * CLIENTS
    )

    assert statuses(answers) == {200: CLIENTS}, [a.text for a in answers]
    assert len({a.text for a in answers}) == 1
    assert live.history("models", model["id"]) == ["Registered", "Suspended"]


def test_concurrent_different_requests_under_one_idempotency_key_record_one(live: Live) -> None:
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    names = [f"contender {uuid.uuid4().hex[:8]}" for _ in range(CLIENTS)]

    answers = at_once(
        live,
        [
            (
                live.provider,
                lambda c, name=name: c.post(
                    "/v1/models", json={"name": name, "description": ""}, headers=headers
                ),
            )
            for name in names
        ],
    )

    assert statuses(answers) == {201: 1, 422: CLIENTS - 1}
    refused = [a.json()["rule"] for a in answers if a.status_code == 422]
    assert set(refused) == {"idempotency-key-reused"}
