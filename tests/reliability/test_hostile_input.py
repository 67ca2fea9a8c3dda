"""Hostile input gets a problem document (413 or 422, 404 for an unknown path), never a 500,
and records nothing: oversized and deeply nested bodies, huge arrays, bytes that are not
UTF-8, naive or impossible datetimes, unknown enum values, ids that are not UUIDs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from interfaces.api.app import create_app
from interfaces.settings import Settings
from tests.interfaces.api.conftest import MAX_BODY, TestClient
from tests.reliability.commands import COMMANDS, Command, fill
from tests.reliability.routes import routes
from tests.reliability.scenes import World, shared_world

PROBLEM = "application/problem+json"
DEPTH = 10_000
NOT_UUIDS = ("not-a-uuid", "1", "00000000-0000-0000-0000-00000000000g", "%00", "'%20OR%201=1--")
BAD_TIMES = (
    "2026-05-01T10:00:00",  # naive
    "2026-05-01",  # a date, no time of day
    "0001-01-01T00:00:00+14:00",  # before year 1 once in UTC
    "9999-12-31T23:59:59-14:00",  # after year 9999 once in UTC
    "10000-01-01T00:00:00Z",
    "1899-12-31T23:59:59Z",
    "2026-02-30T00:00:00Z",
    "2026-05-01T25:00:00Z",
    "tomorrow",
)
IDS = [c.name for c in COMMANDS]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """One app and case for the module: input validation does not depend on the store, and
    every test here checks that it recorded nothing."""
    with shared_world() as built:
        yield built


class Sender:
    """Sends raw bodies to one command as its allowed principal; checks nothing was recorded."""

    def __init__(self, world: World, command: Command):
        self.api = world.api
        self.path = fill(command.path, world.scene)
        self.body: dict[str, Any] = fill(command.body, world.scene)
        self.token = world.who[command.allowed]
        self.before = self.api.position()

    def raw(self, content: bytes | Iterator[bytes], **headers: str) -> httpx.Response:
        """POST raw bytes as JSON."""
        sent = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        return self.api.client.post(self.path, content=content, headers={**sent, **headers})

    def json(self, body: Any, **headers: str) -> httpx.Response:
        """POST a JSON document."""
        return self.raw(json.dumps(body).encode(), **headers)

    def refused(self, response: httpx.Response, *statuses: int) -> None:
        """The answer is a problem with one of the statuses, and nothing was recorded."""
        assert response.status_code in statuses, response.text
        assert response.headers["Content-Type"] == PROBLEM
        assert {"type", "title", "status", "detail"} <= set(response.json())
        assert self.api.position() == self.before


@pytest.fixture(params=COMMANDS, ids=IDS)
def send(request: pytest.FixtureRequest, world: World) -> Sender:
    """A sender for each command."""
    return Sender(world, request.param)


def test_body_over_the_limit_is_413(send: Sender) -> None:
    padded = {**send.body, "padding": "x" * MAX_BODY}

    send.refused(send.json(padded), 413)


def test_streamed_body_over_the_limit_is_413_without_a_content_length(send: Sender) -> None:
    chunks = iter([b'{"padding": "', *[b"x" * 16_384] * 8, b'"}'])

    send.refused(send.raw(chunks), 413)


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_ten_thousand_levels_of_nesting_are_422(send: Sender, opening: str) -> None:
    closing = "]" if opening == "[" else "}"
    nested = opening * DEPTH + "1" + closing * DEPTH

    send.refused(send.raw(f'{{"reason": {nested}}}'.encode()), 422)


def test_bytes_that_are_not_utf8_are_422(send: Sender) -> None:
    send.refused(send.raw(b'{"reason": "\xff\xfe\xc3\x28"}'), 422)


TEXTUAL = [c for c in COMMANDS if any(isinstance(v, str) and v for v in c.body.values())]


@pytest.mark.parametrize("command", TEXTUAL, ids=[c.name for c in TEXTUAL])
@pytest.mark.parametrize("text", ["\\ud800", "nul\\u0000byte"])
def test_text_that_cannot_be_stored_is_422(world: World, command: Command, text: str) -> None:
    send = Sender(world, command)
    field = next(k for k, v in send.body.items() if isinstance(v, str) and v)
    raw = json.dumps({**send.body, field: "PLACEHOLDER"}).replace("PLACEHOLDER", text)

    send.refused(send.raw(raw.encode()), 422)


@pytest.mark.parametrize("when", BAD_TIMES)
def test_naive_or_impossible_effective_time_is_422(send: Sender, when: str) -> None:
    send.refused(send.json({**send.body, "effective_at": when}), 422)


@pytest.mark.parametrize("document", [[], None, "text", 1, 1e308])
def test_body_that_is_not_an_object_is_422(send: Sender, document: Any) -> None:
    send.refused(send.json(document), 422)


def test_unknown_field_is_422(send: Sender) -> None:
    answer = send.json({**send.body, "admin": True})

    send.refused(answer, 422)
    assert answer.json()["rule"] == "unknown-field"


@pytest.mark.parametrize(
    "headers",
    [
        {"If-Match": "abc"},
        {"If-Match": '"99999999999999999999"'},
        {"Idempotency-Key": "k" * 201},
        {"Idempotency-Key": "has spaces"},
    ],
    ids=["if-match not a version", "if-match too big", "key too long", "key with spaces"],
)
def test_malformed_precondition_headers_are_422(send: Sender, headers: dict[str, str]) -> None:
    send.refused(send.json(send.body, **headers), 422)


# --- one command at a time ------------------------------------------------------------------


def _sender(world: World, name: str) -> Sender:
    return Sender(world, next(c for c in COMMANDS if c.name == name))


def _letter(count: int) -> dict[str, Any]:
    signatories = [{"name": f"Signer {i}", "affiliation": "Adobe"} for i in range(count)]
    return {"kind": "amicus_letter", "title": "t", "summary": "s", "signatories": signatories}


def test_hundred_thousand_signatories_are_413_at_the_body_limit(
    world: World,
) -> None:
    send = _sender(world, "add submission")

    send.refused(send.json(_letter(100_000)), 413)


def test_hundred_thousand_signatories_are_422_under_a_generous_body_limit(
    world: World,
) -> None:
    roomy = Settings(database_url="memory://unused", run_projections=False, max_body_bytes=10**8)
    send = _sender(world, "add submission")
    with TestClient(create_app(roomy, world.api.system)) as client:
        answer = client.post(
            send.path, json=_letter(100_000), headers={"Authorization": f"Bearer {send.token}"}
        )

    send.refused(answer, 422)
    assert len(answer.text) < 10_000  # one error about the list, not one per signatory


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("decide appeal", {"outcome": "pardoned"}),
        ("add submission", {"kind": "rumour"}),
        ("suspend model", {"scope": {"user_classes": ["Martians"], "jurisdictions": ["*"]}}),
        ("suspend model", {"scope": {"user_classes": ["*"], "jurisdictions": ["XX"]}}),
        ("suspend model", {"scope": {"user_classes": ["*"], "jurisdictions": ["cn"]}}),
        ("rule on stay", {"granted": "maybe"}),
        ("rule on stay", {"granted": 1e400}),
        ("issue directive", {"expires_at": "2030-01-01T00:00:00"}),
        ("issue directive", {"provider": "Anthropic Inc."}),
        ("issue directive", {"model_ids": ["not-a-uuid"]}),
        ("register model", {"name": "n" * 201}),
        ("rescind directive", {"reason": "r" * 20_001}),
    ],
    ids=lambda v: v if isinstance(v, str) else json.dumps(v)[:40],
)
def test_unknown_enum_values_and_out_of_range_fields_are_422(
    world: World, name: str, change: dict[str, Any]
) -> None:
    send = _sender(world, name)

    send.refused(send.json({**send.body, **change}), 422)


@pytest.mark.parametrize("bad", [*NOT_UUIDS, "0", "-1", "99999999999999999999"])
def test_ids_in_paths_that_are_not_ids_are_refused_on_every_route(world: World, bad: str) -> None:
    api, scene, who = world.api, world.scene, world.who
    before = api.position()
    ids = {"model_id": scene["fable"], "directive_id": scene["directive"], "name": "x"}
    ids |= {"appeal_id": scene["appeal"], "proposal_no": "1"}
    answers = {}
    for route in routes(api.client.app):
        for parameter in route.parameters:
            if parameter == "name" or (parameter == "proposal_no" and bad.isdigit()):
                continue
            url = route.fill({**ids, parameter: bad})
            headers = {"Authorization": f"Bearer {who['court']}"}
            answers[f"{route.method} {url}"] = api.client.request(
                route.method, url, json={}, headers=headers
            ).status_code

    assert answers
    assert {u: s for u, s in answers.items() if s not in (404, 422)} == {}
    assert api.position() == before


HUGE = ("9223372036854775807", "9223372036854775808", "1" + "0" * 30, "-9223372036854775809")


def _integer_queries(world: World) -> list[tuple[str, str]]:
    """(path, name) of every integer query parameter a GET route documents."""
    found = []
    for path, operations in world.api.client.app.openapi()["paths"].items():
        for p in operations.get("get", {}).get("parameters", []):
            kinds = [p.get("schema", {}), *p.get("schema", {}).get("anyOf", [])]
            if p["in"] == "query" and any(k.get("type") == "integer" for k in kinds):
                found.append((path, p["name"]))
    return found


@pytest.mark.parametrize("huge", HUGE)
def test_huge_integers_in_queries_are_refused_or_answered_never_500(
    world: World, huge: str
) -> None:
    api, scene = world.api, world.scene
    ids = {"model_id": scene["fable"], "directive_id": scene["directive"]}
    ids |= {"appeal_id": scene["appeal"]}
    required = {"user_class": "foreign_national", "jurisdiction": "CN", "position": "1"}
    required |= {"first": "1", "second": "1"}
    answers = {}
    for path, name in _integer_queries(world):
        if path.endswith("/stream"):
            continue
        url = path.format(**ids)
        query = {**required, name: huge}
        status = api.client.get(
            url, params=query, headers={"Authorization": f"Bearer {world.who['auditor']}"}
        ).status_code
        answers[f"{url}?{name}"] = status

    assert answers
    assert {q: s for q, s in answers.items() if s >= 500} == {}
