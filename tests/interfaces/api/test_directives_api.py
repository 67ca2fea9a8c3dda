"""Directives over HTTP: issue, amend, rescind and read."""

from __future__ import annotations

from tests.interfaces.api.conftest import FOREIGN, Api, Case, directive_body, register_models


def test_issuing_a_directive_answers_201_and_it_reads_back_in_force(api: Api) -> None:
    fable, mythos = register_models(api)
    body = {**directive_body([fable, mythos]), "expires_at": "2026-11-01T00:00:00Z"}

    response = api.post("/v1/directives", body, api.tokens.bis)

    assert response.status_code == 201
    view = api.get(response.headers["Location"]).json()
    assert view["reference"] == "BIS-2026-0117"
    assert view["regulator"] == "us-bis"
    assert view["provider"] == "anthropic"
    assert view["model_ids"] == [fable, mythos]
    assert view["scope"] == FOREIGN
    assert view["state"] == "in_force"
    assert view["expires_at"] == "2026-11-01T00:00:00Z"
    assert view["stayed"] is False
    assert view["open_appeal_id"] is None


def test_a_directive_effective_in_the_future_reads_as_pending(api: Api) -> None:
    fable, _ = register_models(api)
    body = {**directive_body([fable]), "effective_at": "2026-06-01T00:00:00Z"}

    created = api.ok("/v1/directives", body, api.tokens.bis)

    assert api.get(f"/v1/directives/{created['id']}").json()["state"] == "pending"


def test_a_second_directive_with_the_same_reference_is_refused(api: Api) -> None:
    fable, _ = register_models(api)
    api.ok("/v1/directives", directive_body([fable]), api.tokens.bis)

    response = api.post("/v1/directives", directive_body([fable]), api.tokens.bis)

    assert response.status_code == 409
    assert response.json()["rule"] == "directive-reference-taken"


def test_a_directive_naming_another_providers_model_is_refused(api: Api) -> None:
    other = api.ok("/v1/models", {"name": "GPT", "description": ""}, api.tokens.openai)

    response = api.post("/v1/directives", directive_body([other["id"]]), api.tokens.bis)

    assert response.status_code == 409
    assert response.json()["rule"] == "model-not-of-provider"
    assert response.json()["field"] == "model_ids"


def test_an_amendment_narrows_the_directives_scope(api: Api, case: Case) -> None:
    narrower = {"user_classes": ["foreign_national"], "jurisdictions": ["CN", "RU"]}

    response = api.post(
        f"/v1/directives/{case.directive}/amendments",
        {"scope": narrower, "reason": "narrowed"},
        api.tokens.bis,
    )

    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{response.json()["version"]}"'
    assert api.get(f"/v1/directives/{case.directive}").json()["scope"] == narrower


def test_an_amendment_that_changes_nothing_is_refused_as_invalid(api: Api, case: Case) -> None:
    response = api.post(
        f"/v1/directives/{case.directive}/amendments",
        {"scope": FOREIGN, "reason": "same"},
        api.tokens.bis,
    )

    assert response.status_code == 422
    assert response.json()["rule"] == "amendment-changes-nothing"


def test_rescission_closes_the_directive_to_further_commands(api: Api, case: Case) -> None:
    rescinded = api.post(
        f"/v1/directives/{case.directive}/rescission", {"reason": "withdrawn"}, api.tokens.bis
    )

    again = api.post(
        f"/v1/directives/{case.directive}/rescission", {"reason": "again"}, api.tokens.bis
    )

    assert rescinded.status_code == 200
    assert api.get(f"/v1/directives/{case.directive}").json()["state"] == "rescinded"
    assert again.status_code == 409
    assert again.json()["rule"] == "directive-closed"


def test_a_directive_shows_its_open_appeal(api: Api, case: Case) -> None:
    view = api.get(f"/v1/directives/{case.directive}").json()

    assert view["open_appeal_id"] == case.appeal


def test_directive_history_lists_issue_and_appeal_lodging(api: Api, case: Case) -> None:
    record = api.get(f"/v1/directives/{case.directive}/history").json()

    assert [e["type"] for e in record["events"]] == ["Issued", "AppealLodged"]
    assert record["events"][0]["data"]["reference"] == "BIS-2026-0117"
    assert record["events"][1]["data"]["appeal_id"] == case.appeal
