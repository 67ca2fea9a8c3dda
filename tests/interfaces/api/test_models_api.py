"""Models over HTTP: registration, the provider's acts, retirement and reads."""

from __future__ import annotations

from tests.interfaces.api.conftest import EVERYONE, FOREIGN, Api, Case

FIRST_WEEK = "2026-05-04T12:00:00+02:00"


def test_registering_a_model_answers_201_with_location_etag_and_position(api: Api) -> None:
    response = api.post("/v1/models", {"name": "Fable 5", "description": "x"}, api.tokens.anthropic)

    body = response.json()
    assert response.status_code == 201
    assert response.headers["Location"] == f"/v1/models/{body['id']}"
    assert response.headers["ETag"] == '"1"'
    assert body["version"] == 1
    assert body["position"] == api.position()


def test_a_registered_model_reads_back_with_its_provider_and_registration_time(api: Api) -> None:
    created = api.ok(
        "/v1/models",
        {"name": "Fable 5", "description": "frontier model", "effective_at": FIRST_WEEK},
        api.tokens.anthropic,
    )

    response = api.get(f"/v1/models/{created['id']}")

    view = response.json()
    assert response.headers["ETag"] == '"1"'
    assert view["provider"] == "anthropic"
    assert view["name"] == "Fable 5"
    assert view["description"] == "frontier model"
    assert view["registered_at"] == "2026-05-04T10:00:00Z"
    assert view["retired"] is False
    assert view["acts"] == []


def test_a_second_model_of_the_same_name_is_refused_by_rule(api: Api) -> None:
    api.ok("/v1/models", {"name": "Fable 5", "description": ""}, api.tokens.anthropic)

    response = api.post("/v1/models", {"name": "Fable 5", "description": ""}, api.tokens.anthropic)

    assert response.status_code == 409
    assert response.json()["type"] == "https://regledger.dev/problems/model-name-taken"


def test_suspension_is_recorded_and_shown_among_the_models_acts(api: Api, case: Case) -> None:
    body = {"scope": EVERYONE, "reason": "comply with BIS", "directive_id": case.directive}

    response = api.post(f"/v1/models/{case.fable}/suspensions", body, api.tokens.anthropic)

    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response.headers["ETag"] == '"2"'
    acts = api.get(f"/v1/models/{case.fable}").json()["acts"]
    assert [(a["action"], a["scope"]) for a in acts] == [("suspended", EVERYONE)]


def test_restoration_of_a_suspended_scope_is_recorded(api: Api, case: Case) -> None:
    api.ok(
        f"/v1/models/{case.fable}/suspensions",
        {"scope": EVERYONE, "reason": "x"},
        api.tokens.anthropic,
    )
    body = {"scope": {"user_classes": ["domestic"], "jurisdictions": ["US"]}, "reason": "partial"}

    response = api.post(f"/v1/models/{case.fable}/restorations", body, api.tokens.anthropic)

    assert response.status_code == 200
    acts = api.get(f"/v1/models/{case.fable}").json()["acts"]
    assert [a["action"] for a in acts] == ["suspended", "restored"]


def test_restoring_a_scope_that_is_not_suspended_is_refused_by_rule(api: Api, case: Case) -> None:
    response = api.post(
        f"/v1/models/{case.fable}/restorations",
        {"scope": FOREIGN, "reason": "x"},
        api.tokens.anthropic,
    )

    assert response.status_code == 409
    assert response.json()["rule"] == "restore-requires-suspension"
    assert response.json()["field"] == "scope"


def test_a_retired_model_refuses_later_suspensions(api: Api, case: Case) -> None:
    retired = api.post(
        f"/v1/models/{case.fable}/retirement", {"reason": "end of life"}, api.tokens.anthropic
    )

    response = api.post(
        f"/v1/models/{case.fable}/suspensions",
        {"scope": EVERYONE, "reason": "x"},
        api.tokens.anthropic,
    )

    assert retired.status_code == 200
    assert api.get(f"/v1/models/{case.fable}").json()["retired"] is True
    assert response.status_code == 409
    assert response.json()["rule"] == "model-retired"


def test_model_history_lists_its_events_with_actor_and_fields(api: Api, case: Case) -> None:
    api.ok(
        f"/v1/models/{case.fable}/suspensions",
        {"scope": EVERYONE, "reason": "comply", "effective_at": FIRST_WEEK},
        api.tokens.anthropic,
    )

    response = api.get(f"/v1/models/{case.fable}/history")

    record = response.json()
    assert response.headers["ETag"] == '"2"'
    assert record["kind"] == "model"
    assert [e["type"] for e in record["events"]] == ["Registered", "Suspended"]
    suspended = record["events"][1]
    assert suspended["version"] == 2
    assert suspended["actor"] == {"org": "anthropic", "role": "provider"}
    assert suspended["effective_at"] == "2026-05-04T10:00:00Z"
    assert suspended["data"]["scope"] == EVERYONE
    assert suspended["data"]["reason"] == "comply"


def test_model_history_gives_each_event_its_log_position(api: Api, case: Case) -> None:
    suspended = api.ok(
        f"/v1/models/{case.fable}/suspensions",
        {"scope": EVERYONE, "reason": "comply", "effective_at": FIRST_WEEK},
        api.tokens.anthropic,
    )

    events = api.get(f"/v1/models/{case.fable}/history").json()["events"]

    assert events[-1]["position"] == suspended["position"]
    assert events[0]["position"] < events[-1]["position"]


def test_the_history_of_a_directive_is_not_found_under_models(api: Api, case: Case) -> None:
    response = api.get(f"/v1/models/{case.directive}/history")

    assert response.status_code == 404
    assert response.json()["rule"] == "not-found"
