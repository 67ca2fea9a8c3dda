"""The global log over HTTP: auditors only, paged, and live as resumable server-sent events."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from tests.interfaces.api.conftest import Api, Case, bearer


def frames(text: str) -> list[dict[str, Any]]:
    """The events of a server-sent event stream (comments and `retry` skipped)."""
    found = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "id" in fields:
            found.append(
                {"id": int(fields["id"]), "event": fields["event"], **json.loads(fields["data"])}
            )
    return found


def log(api: Api, **params: Any) -> dict[str, Any]:
    """A page of the global log, read by the auditor once the views hold everything."""
    response = api.client.get(
        "/v1/events",
        params={"min_position": api.position(), **params},
        headers=bearer(api.tokens.auditor),
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def stream(api: Api, headers: dict[str, str] | None = None, **params: Any) -> list[dict[str, Any]]:
    """The auditor's event stream, ended by `limit`."""
    api.system.runner.catch_up()
    response = api.client.get(
        "/v1/events/stream",
        params=params,
        headers={**bearer(api.tokens.auditor), **(headers or {})},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return frames(response.text)


def test_the_global_log_needs_a_token(api: Api, case: Case) -> None:
    response = api.get("/v1/events")

    assert response.status_code == 401
    assert response.json()["rule"] == "unauthenticated"


@pytest.mark.parametrize("who", ["anthropic", "bis", "adobe", "court"])
def test_the_global_log_is_refused_to_everyone_but_auditors(api: Api, case: Case, who: str) -> None:
    response = api.get("/v1/events", getattr(api.tokens, who))

    assert response.status_code == 403


def test_an_auditor_reads_the_log_in_order_with_each_events_envelope(api: Api, case: Case) -> None:
    page = log(api)

    assert [e["position"] for e in page["items"]] == list(range(1, api.position() + 1))
    first = page["items"][0]
    assert first["type"] == "Registered"
    assert (first["aggregate_id"], first["aggregate_kind"], first["version"]) == (
        case.fable,
        "model",
        1,
    )
    assert first["actor"] == {"org": "anthropic", "role": "provider"}
    assert first["effective_at"] == "2026-05-01T09:00:00Z"
    assert first["data"] == {"name": "Fable 5", "description": "frontier", "provider": "anthropic"}


def test_caused_events_name_their_cause(api: Api, case: Case) -> None:
    lodged = [e for e in log(api)["items"] if e["type"] == "AppealLodged"]

    assert [e["causation_id"] for e in lodged] == [case.appeal]


def test_an_events_leaf_hash_is_the_one_the_ledger_proves(api: Api, case: Case) -> None:
    event = log(api)["items"][2]

    proof = api.get(f"/v1/audit/proofs/inclusion?position={event['position']}").json()

    assert event["leaf_hash"] == proof["leaf_hash"]


def test_the_log_pages_through_next_after(api: Api, case: Case) -> None:
    first = log(api, limit=2)
    rest = log(api, after=first["next_after"], limit=100)

    assert [e["position"] for e in first["items"]] == [1, 2]
    assert first["next_after"] == 2
    assert rest["items"][0]["position"] == 3
    assert rest["next_after"] is None


def test_an_auditor_sees_a_confidential_filing_whole(api: Api, case: Case) -> None:
    secret = {
        "kind": "response",
        "title": "Technical annex",
        "summary": "classified assessment",
        "signatories": [],
        "confidential": True,
    }
    api.ok(f"/v1/appeals/{case.appeal}/submissions", secret, api.tokens.bis)

    [filed] = [e for e in log(api)["items"] if e["type"] == "SubmissionAdded"]

    assert filed["data"]["summary"] == "classified assessment"
    assert filed["data"]["confidential"] is True


def test_the_stream_sends_each_event_with_its_position_as_id(api: Api, case: Case) -> None:
    sent = stream(api, limit=3)

    assert [(f["id"], f["event"]) for f in sent] == [
        (1, "Registered"),
        (2, "Registered"),
        (3, "Issued"),
    ]
    assert sent[0]["aggregate_id"] == case.fable


def test_the_stream_resumes_after_the_last_event_id(api: Api, case: Case) -> None:
    first = stream(api, limit=2)

    resumed = stream(api, {"Last-Event-ID": str(first[-1]["id"])}, limit=2)

    assert [f["id"] for f in resumed] == [3, 4]


def test_the_last_event_id_header_wins_over_the_after_parameter(api: Api, case: Case) -> None:
    resumed = stream(api, {"Last-Event-ID": "3"}, after=1, limit=1)

    assert [f["id"] for f in resumed] == [4]


def test_the_stream_can_start_after_a_position(api: Api, case: Case) -> None:
    assert [f["id"] for f in stream(api, after=4, limit=1)] == [5]


def test_the_stream_delivers_events_projected_after_it_opened(api: Api, case: Case) -> None:
    end = api.position()

    def later() -> None:
        body = {"name": "Haiku 5", "description": ""}
        api.post("/v1/models", body, api.tokens.anthropic)
        api.system.runner.catch_up()

    timer = threading.Timer(0.3, later)
    timer.start()
    try:
        sent = stream(api, after=end, limit=1)
    finally:
        timer.join()

    assert [(f["id"], f["event"], f["data"]["name"]) for f in sent] == [
        (end + 1, "Registered", "Haiku 5")
    ]


def test_the_stream_ends_when_the_server_shuts_down(api: Api, case: Case) -> None:
    timer = threading.Timer(0.3, api.client.app.state.stopping.set)
    timer.start()
    try:
        sent = stream(api)
    finally:
        timer.join()

    assert [f["id"] for f in sent] == list(range(1, api.position() + 1))


def test_the_stream_is_for_auditors_only(api: Api, case: Case) -> None:
    assert api.get("/v1/events/stream").status_code == 401
    assert api.get("/v1/events/stream", api.tokens.court).status_code == 403


def test_a_malformed_last_event_id_is_refused(api: Api, case: Case) -> None:
    response = api.client.get(
        "/v1/events/stream", headers={**bearer(api.tokens.auditor), "Last-Event-ID": "x"}
    )

    assert response.status_code == 422
