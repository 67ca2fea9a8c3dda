"""The register's lists over HTTP: models, directives and appeals, filtered and paged."""

from __future__ import annotations

from typing import Any

from tests.interfaces.api.conftest import Api, Case, appeal_body, directive_body, register_models


def listed(api: Api, path: str, token: str | None = None, **params: Any) -> dict[str, Any]:
    """A list read once the views hold everything recorded so far."""
    query = {"min_position": api.position(), **params}
    response = api.client.get(
        path, params=query, headers={"Authorization": f"Bearer {token}"} if token else {}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def names(page: dict[str, Any]) -> list[str]:
    """The names of the models on a page."""
    return [item["name"] for item in page["items"]]


def test_models_are_listed_in_registration_order(api: Api) -> None:
    register_models(api)
    api.ok("/v1/models", {"name": "GPT-6", "description": ""}, api.tokens.openai)

    page = listed(api, "/v1/models")

    assert names(page) == ["Fable 5", "Mythos 5", "GPT-6"]
    assert page["next_after"] is None


def test_models_are_filtered_by_provider(api: Api) -> None:
    register_models(api)
    api.ok("/v1/models", {"name": "GPT-6", "description": ""}, api.tokens.openai)

    page = listed(api, "/v1/models", provider="openai")

    assert names(page) == ["GPT-6"]
    assert page["items"][0]["provider"] == "openai"


def test_model_pages_chain_through_next_after_until_none(api: Api) -> None:
    register_models(api)
    api.ok("/v1/models", {"name": "GPT-6", "description": ""}, api.tokens.openai)

    first = listed(api, "/v1/models", limit=2)
    second = listed(api, "/v1/models", limit=2, after=first["next_after"])

    assert names(first) == ["Fable 5", "Mythos 5"]
    assert first["next_after"] is not None
    assert names(second) == ["GPT-6"]
    assert second["next_after"] is None


def test_a_limit_above_the_maximum_is_refused(api: Api) -> None:
    response = api.get("/v1/models?limit=100000")

    assert response.status_code == 422
    assert response.json()["field"] == "limit"


def test_directives_are_filtered_by_model(api: Api, case: Case) -> None:
    other = api.ok("/v1/models", {"name": "Haiku 5", "description": ""}, api.tokens.anthropic)
    api.ok("/v1/directives", directive_body([other["id"]], "BIS-2026-0200"), api.tokens.bis)

    page = listed(api, "/v1/directives", model_id=other["id"])

    assert [d["reference"] for d in page["items"]] == ["BIS-2026-0200"]
    assert page["items"][0]["model_ids"] == [other["id"]]


def test_directives_are_filtered_by_provider(api: Api, case: Case) -> None:
    assert [d["id"] for d in listed(api, "/v1/directives", provider="anthropic")["items"]] == [
        case.directive
    ]
    assert listed(api, "/v1/directives", provider="openai")["items"] == []


def test_directives_are_filtered_by_their_state(api: Api, case: Case) -> None:
    in_force = listed(api, "/v1/directives", state="in_force")
    rescinded = listed(api, "/v1/directives", state="rescinded")

    assert [d["id"] for d in in_force["items"]] == [case.directive]
    assert in_force["items"][0]["open_appeal_id"] == case.appeal
    assert rescinded["items"] == []


def test_a_directive_counts_as_expired_once_its_time_passes_without_any_event(api: Api) -> None:
    fable, _ = register_models(api)
    body = {**directive_body([fable]), "expires_at": "2026-06-01T00:00:00Z"}
    api.ok("/v1/directives", body, api.tokens.bis)

    before = listed(api, "/v1/directives", state="expired", at="2026-05-31T00:00:00Z")
    after = listed(api, "/v1/directives", state="expired", at="2026-06-02T00:00:00Z")

    assert before["items"] == []
    assert [d["state"] for d in after["items"]] == ["expired"]


def test_an_unknown_directive_state_is_refused(api: Api) -> None:
    response = api.get("/v1/directives?state=dormant")

    assert response.status_code == 422
    assert response.json()["field"] == "state"


def test_appeals_are_filtered_by_directive_and_status(api: Api, case: Case) -> None:
    other = api.ok("/v1/directives", directive_body([case.fable], "BIS-2026-0300"), api.tokens.bis)
    api.ok("/v1/appeals", appeal_body(other["id"], stay=False), api.tokens.anthropic)

    by_directive = listed(api, "/v1/appeals", directive_id=case.directive)
    filed = listed(api, "/v1/appeals", status="filed")
    decided = listed(api, "/v1/appeals", status="decided")

    assert [a["id"] for a in by_directive["items"]] == [case.appeal]
    assert len(filed["items"]) == 2
    assert decided["items"] == []


def test_an_appeal_list_shows_no_contents_of_a_confidential_filing(api: Api, case: Case) -> None:
    secret = {
        "kind": "response",
        "title": "Technical annex",
        "summary": "classified assessment of the jailbreak",
        "signatories": [],
        "confidential": True,
    }
    api.ok(f"/v1/appeals/{case.appeal}/submissions", secret, api.tokens.bis)

    response = api.client.get("/v1/appeals", params={"min_position": api.position()})

    [item] = response.json()["items"]
    assert item["submissions"] == 1
    assert "classified" not in response.text
    assert "Technical annex" not in response.text


def test_the_lists_leave_the_single_record_reads_in_place(api: Api, case: Case) -> None:
    one = api.get(f"/v1/models/{case.fable}")
    listing = api.get("/v1/models")

    assert one.json()["id"] == case.fable
    assert "items" in listing.json()


def test_a_wrong_method_on_a_list_names_every_allowed_method(api: Api) -> None:
    response = api.client.delete("/v1/models")

    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"GET", "POST"}
