"""Bad input is refused with a problem document, never a 500."""

from __future__ import annotations

import uuid

import httpx
import pytest
from eventsourcing.persistence import OperationalError

from application.principals import PrincipalStore
from application.system import System
from tests.interfaces.api.conftest import EVERYONE, MAX_BODY, Api, Case, TestClient, bearer

PROBLEM = "application/problem+json"


def _raw(api: Api, path: str, content: bytes, token: str | None) -> httpx.Response:
    headers = {**bearer(token), "Content-Type": "application/json"}
    return api.client.post(path, content=content, headers=headers)


def test_an_unknown_field_is_refused_with_422_naming_it(api: Api) -> None:
    response = api.post("/v1/models", {"name": "X", "colour": "red"}, api.tokens.anthropic)

    assert response.status_code == 422
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["rule"] == "unknown-field"
    assert response.json()["field"] == "colour"


def test_an_unknown_field_inside_a_scope_is_refused(api: Api, case: Case) -> None:
    scope = {**EVERYONE, "segments": []}

    response = api.post(
        f"/v1/models/{case.fable}/suspensions",
        {"scope": scope, "reason": "x"},
        api.tokens.anthropic,
    )

    assert response.status_code == 422
    assert response.json()["field"] == "scope.segments"


def test_malformed_json_is_refused_with_422(api: Api) -> None:
    response = _raw(api, "/v1/models", b'{"name": "X",', api.tokens.anthropic)

    assert response.status_code == 422
    assert response.json()["rule"] == "malformed-json"


def test_a_missing_required_field_is_refused_naming_it(api: Api) -> None:
    response = api.post("/v1/models", {"description": "no name"}, api.tokens.anthropic)

    assert response.status_code == 422
    assert response.json()["field"] == "name"


def test_a_body_over_the_limit_is_refused_with_413(api: Api) -> None:
    body = b'{"name": "' + b"x" * MAX_BODY + b'"}'

    response = _raw(api, "/v1/models", body, api.tokens.anthropic)

    assert response.status_code == 413
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["rule"] == "body-too-large"


def test_a_streamed_body_over_the_limit_is_refused_with_413(api: Api) -> None:
    def chunks():  # no Content-Length: the limit is enforced while reading
        yield b'{"name": "'
        for _ in range(MAX_BODY // 1000 + 1):
            yield b"x" * 1000
        yield b'"}'

    response = api.client.post(
        "/v1/models",
        content=chunks(),
        headers={**bearer(api.tokens.anthropic), "Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json()["rule"] == "body-too-large"


def test_a_naive_effective_time_is_refused_naming_the_field(api: Api, case: Case) -> None:
    body = {"scope": EVERYONE, "reason": "x", "effective_at": "2026-05-02T09:00:00"}

    response = api.post(f"/v1/models/{case.fable}/suspensions", body, api.tokens.anthropic)

    assert response.status_code == 422
    assert response.json()["field"] == "effective_at"


def test_a_naive_expiry_is_refused_naming_the_field(api: Api, case: Case) -> None:
    body = {"expires_at": "2027-01-01T00:00:00", "reason": "extend"}

    response = api.post(f"/v1/directives/{case.directive}/amendments", body, api.tokens.bis)

    assert response.status_code == 422
    assert response.json()["field"] == "expires_at"


@pytest.mark.parametrize(
    "path",
    ["/v1/models/fable-5", "/v1/directives/BIS-1/history", "/v1/appeals/123"],
)
def test_an_id_that_is_not_a_uuid_is_refused_with_422(api: Api, path: str) -> None:
    response = api.get(path)

    assert response.status_code == 422
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["field"].endswith("_id")


@pytest.mark.parametrize("kind", ["models", "directives", "appeals"])
def test_an_unknown_id_is_not_found(api: Api, kind: str) -> None:
    response = api.get(f"/v1/{kind}/{uuid.uuid4()}")

    assert response.status_code == 404
    assert response.json()["type"] == "https://regledger.dev/problems/not-found"


def test_a_command_on_an_unknown_appeal_is_not_found(api: Api) -> None:
    response = api.post(
        f"/v1/appeals/{uuid.uuid4()}/withdrawal", {"reason": "x"}, api.tokens.anthropic
    )

    assert response.status_code == 404
    assert response.json()["field"] == "appeal_id"


def test_a_command_without_a_token_is_refused_with_401(api: Api) -> None:
    response = api.post("/v1/models", {"name": "Fable 5", "description": ""}, None)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["rule"] == "unauthenticated"


def test_an_unknown_token_is_refused_even_on_a_public_read(api: Api, case: Case) -> None:
    response = api.get(f"/v1/models/{case.fable}", token="rl_not-a-real-token")

    assert response.status_code == 401


def test_a_non_bearer_authorization_is_refused(api: Api) -> None:
    response = api.client.post(
        "/v1/models", json={"name": "X"}, headers={"Authorization": "Basic YTpi"}
    )

    assert response.status_code == 401


def test_a_revoked_token_is_refused_at_once(api: Api, principals: PrincipalStore) -> None:
    principal, token = principals.add("anthropic", "provider")
    principals.revoke(principal.id)

    response = api.post("/v1/models", {"name": "Fable 5", "description": ""}, token)

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ({"name": "Fable 5", "colour": "red"}, {}),
        ({"name": "Fable 5", "description": ""}, {"If-Match": "three"}),
        ({"name": "Fable 5", "description": ""}, {"Idempotency-Key": ""}),
    ],
    ids=["bad body", "bad If-Match", "bad Idempotency-Key"],
)
@pytest.mark.parametrize("kind", ["unknown", "revoked"])
def test_an_unknown_or_revoked_token_is_refused_before_the_request_is_validated(
    api: Api,
    system: System,
    principals: PrincipalStore,
    kind: str,
    body: dict[str, str],
    headers: dict[str, str],
) -> None:
    token = "rl_not-a-real-token"
    if kind == "revoked":
        principal, token = principals.add("anthropic", "provider")
        principals.revoke(principal.id)
    before = system.app.recorder.max_notification_id()

    response = api.post("/v1/models", body, token, **headers)

    assert response.status_code == 401
    assert response.json()["rule"] == "unauthenticated"
    assert response.json()["detail"] == "the bearer token is unknown or revoked"
    assert system.app.recorder.max_notification_id() == before


def test_a_store_that_fails_the_pending_token_lookup_of_an_invalid_request_is_a_503(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The token of a command on a store that is not local is looked up late; when the
    # request is refused as invalid, the refusal's handler looks it up, and a store that
    # does not answer then is a 503 like anywhere else, not a 500.
    store = api.client.app.state.principals  # type: ignore[attr-defined]

    def unavailable(token: str) -> None:
        raise OperationalError("the store did not answer")

    monkeypatch.setattr(store, "local", False)
    monkeypatch.setattr(store, "authenticate", unavailable)

    response = api.post("/v1/models", {"name": "Fable 5", "colour": "red"}, api.tokens.anthropic)

    assert response.status_code == 503
    assert response.json()["rule"] == "store-unavailable"
    assert response.headers["Retry-After"] == "1"


def test_a_valid_token_with_a_bad_body_gets_the_validation_problem(api: Api) -> None:
    response = api.post("/v1/models", {"name": "Fable 5", "colour": "red"}, api.tokens.anthropic)

    assert response.status_code == 422
    assert response.json()["field"] == "colour"


def test_text_that_cannot_be_stored_is_refused_with_422(api: Api) -> None:
    response = _raw(api, "/v1/models", b'{"name": "bad \\ud800 name"}', api.tokens.anthropic)

    assert response.status_code == 422
    assert response.json()["field"] == "name"


def test_an_unknown_route_is_a_404_problem(api: Api) -> None:
    response = api.get("/v1/nothing-here")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["rule"] == "not-found"


def test_a_wrong_method_is_a_405_problem_with_allow(api: Api, case: Case) -> None:
    response = api.client.delete(f"/v1/models/{case.fable}")

    assert response.status_code == 405
    assert response.headers["Content-Type"] == PROBLEM
    assert "GET" in response.headers["Allow"]


def test_every_problem_has_type_title_status_and_detail(api: Api) -> None:
    response = api.post("/v1/models", {"name": "X"}, api.tokens.bis)

    problem = response.json()
    assert response.status_code == 403
    assert problem["status"] == 403
    assert problem["type"] == "https://regledger.dev/problems/forbidden"
    assert problem["title"] and problem["detail"]
    assert problem["instance"] == "/v1/models"


def test_a_server_failure_is_a_500_problem_without_internals(
    client: TestClient, system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(model_id: uuid.UUID) -> None:
        raise RuntimeError("secret connection string")

    monkeypatch.setattr(system.app, "get_model", broken)
    lenient = TestClient(client.app, raise_server_exceptions=False)

    response = lenient.get(f"/v1/models/{uuid.uuid4()}")

    assert response.status_code == 500
    assert response.headers["Content-Type"] == PROBLEM
    assert response.json()["rule"] == "internal-error"
    assert "secret" not in response.text


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+01:00"])
def test_an_effective_time_out_of_range_is_refused_naming_the_field(
    api: Api, case: Case, moment: str
) -> None:
    body = {"scope": EVERYONE, "reason": "x", "effective_at": moment}

    response = api.post(f"/v1/models/{case.fable}/suspensions", body, api.tokens.anthropic)

    assert response.status_code == 422
    assert response.json()["field"] == "effective_at"


def test_a_body_that_is_not_utf8_is_refused_as_malformed_json(api: Api) -> None:
    response = _raw(api, "/v1/models", b'{"name": "\xff\xfe"}', api.tokens.anthropic)

    assert response.status_code == 422
    assert response.json()["rule"] == "malformed-json"
