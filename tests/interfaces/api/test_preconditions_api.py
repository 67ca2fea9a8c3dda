"""If-Match preconditions and Idempotency-Key replays."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from application.context import CommandContext
from domain.actor import Actor, Role
from domain.scope import Scope
from tests.interfaces.api.conftest import EVERYONE, Api, Case

SUSPEND = {"scope": EVERYONE, "reason": "comply"}


def test_a_command_with_the_current_version_in_if_match_is_recorded(api: Api, case: Case) -> None:
    etag = api.get(f"/v1/models/{case.fable}").headers["ETag"]

    response = api.post(
        f"/v1/models/{case.fable}/suspensions", SUSPEND, api.tokens.anthropic, **{"If-Match": etag}
    )

    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'


def test_a_stale_if_match_is_refused_with_412_and_records_nothing(api: Api, case: Case) -> None:
    api.ok(f"/v1/models/{case.fable}/suspensions", SUSPEND, api.tokens.anthropic)
    before = api.position()

    response = api.post(
        f"/v1/models/{case.fable}/suspensions", SUSPEND, api.tokens.anthropic, **{"If-Match": '"1"'}
    )

    assert response.status_code == 412
    assert response.json()["rule"] == "stale-version"
    assert response.headers["ETag"] == '"2"'
    assert api.position() == before


def test_an_if_match_that_is_not_a_version_is_refused_with_422(api: Api, case: Case) -> None:
    response = api.post(
        f"/v1/models/{case.fable}/suspensions", SUSPEND, api.tokens.anthropic, **{"If-Match": "v2"}
    )

    assert response.status_code == 422
    assert response.json()["field"] == "If-Match"


def test_bad_headers_and_a_bad_body_are_refused_together(api: Api, case: Case) -> None:
    before = api.position()

    response = api.post(
        f"/v1/models/{case.fable}/suspensions",
        {**SUSPEND, "reason": 5},
        api.tokens.anthropic,
        **{"If-Match": "v2", "Idempotency-Key": "has spaces"},
    )

    assert response.status_code == 422
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == ["If-Match", "Idempotency-Key", "reason"]
    assert problem["field"] == "If-Match"
    assert api.position() == before


def test_a_bad_header_alone_is_refused_before_the_command_runs(api: Api, case: Case) -> None:
    before = api.position()

    response = api.post(
        f"/v1/models/{case.fable}/suspensions",
        SUSPEND,
        api.tokens.anthropic,
        **{"Idempotency-Key": "k" * 201},
    )

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["Idempotency-Key"]
    assert api.position() == before


def test_a_caller_without_a_token_is_told_so_whatever_its_headers(api: Api, case: Case) -> None:
    response = api.post(f"/v1/models/{case.fable}/suspensions", SUSPEND, None, **{"If-Match": "v2"})

    assert response.status_code == 401
    assert response.json()["rule"] == "unauthenticated"


def test_a_retry_with_the_same_key_and_body_returns_the_first_response(
    api: Api, case: Case
) -> None:
    path = f"/v1/models/{case.fable}/suspensions"
    first = api.post(path, SUSPEND, api.tokens.anthropic, **{"Idempotency-Key": "k-1"})
    after_first = api.position()

    retry = api.post(path, SUSPEND, api.tokens.anthropic, **{"Idempotency-Key": "k-1"})

    assert retry.status_code == first.status_code == 200
    assert retry.json() == first.json()
    assert retry.headers["ETag"] == first.headers["ETag"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert api.position() == after_first


def test_a_replayed_creation_answers_201_with_the_same_location(api: Api) -> None:
    body = {"name": "Fable 5", "description": "x"}
    first = api.post("/v1/models", body, api.tokens.anthropic, **{"Idempotency-Key": "reg-1"})

    retry = api.post("/v1/models", body, api.tokens.anthropic, **{"Idempotency-Key": "reg-1"})

    assert retry.status_code == 201
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.json() == first.json()


def test_the_same_key_with_another_body_is_refused_with_422(api: Api, case: Case) -> None:
    path = f"/v1/models/{case.fable}/suspensions"
    api.post(path, SUSPEND, api.tokens.anthropic, **{"Idempotency-Key": "k-2"})
    before = api.position()

    response = api.post(
        path, {**SUSPEND, "reason": "other"}, api.tokens.anthropic, **{"Idempotency-Key": "k-2"}
    )

    assert response.status_code == 422
    assert response.json()["rule"] == "idempotency-key-reused"
    assert api.position() == before


def test_keys_are_scoped_to_the_principal(api: Api, case: Case) -> None:
    path = f"/v1/appeals/{case.appeal}/submissions"
    body = {"kind": "evidence", "title": "t", "summary": "s"}
    first = api.post(path, body, api.tokens.adobe, **{"Idempotency-Key": "shared"})

    second = api.post(path, body, api.tokens.anthropic, **{"Idempotency-Key": "shared"})

    assert first.json()["number"] == 1
    assert second.json()["number"] == 2
    assert "Idempotent-Replayed" not in second.headers


def test_a_failed_command_does_not_consume_its_key(api: Api, case: Case) -> None:
    path = f"/v1/models/{case.fable}/restorations"
    refused = api.post(path, SUSPEND, api.tokens.anthropic, **{"Idempotency-Key": "k-3"})
    api.ok(f"/v1/models/{case.fable}/suspensions", SUSPEND, api.tokens.anthropic)

    retried = api.post(path, SUSPEND, api.tokens.anthropic, **{"Idempotency-Key": "k-3"})

    assert refused.status_code == 409
    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried.headers


def test_a_write_that_loses_a_race_gets_409_and_only_the_winner_is_recorded(
    api: Api, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = api.system.app
    load = app.repository.get
    rival = CommandContext(Actor(org="anthropic", role=Role.PROVIDER))

    def load_then_lose_the_race(aggregate_id: UUID, *args: Any, **kwargs: Any) -> Any:
        stale = load(aggregate_id, *args, **kwargs)
        monkeypatch.setattr(app.repository, "get", load)
        app.suspend_model(rival, aggregate_id, Scope.everyone(), "the rival's write")
        return stale

    monkeypatch.setattr(app.repository, "get", load_then_lose_the_race)
    before = api.position()

    response = api.post(f"/v1/models/{case.fable}/suspensions", SUSPEND, api.tokens.anthropic)

    assert response.status_code == 409
    assert response.json()["rule"] == "concurrent-write"
    assert api.position() == before + 1
    assert [a["scope"] for a in api.get(f"/v1/models/{case.fable}").json()["acts"]] == [EVERYONE]
