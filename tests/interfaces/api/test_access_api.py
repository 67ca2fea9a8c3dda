"""Access questions over HTTP: decisions with their basis, both time axes, read-your-writes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from application.persistence.store import parse_url
from application.principals import PrincipalStore
from application.system import System
from interfaces.api.app import create_app
from interfaces.settings import Settings
from tests.conftest import FakeClock
from tests.interfaces.api.conftest import (
    EVERYONE,
    Api,
    Case,
    TestClient,
    bearer,
    register_models,
)


def ask(api: Api, path: str, **params: Any) -> httpx.Response:
    """A read of the views once they hold everything recorded so far."""
    return api.client.get(path, params={"min_position": api.position(), **params})


def access(api: Api, model: str, user_class: str, jurisdiction: str, **params: Any) -> Any:
    """The access decision for one segment (must succeed)."""
    response = ask(
        api,
        f"/v1/models/{model}/access",
        user_class=user_class,
        jurisdiction=jurisdiction,
        **params,
    )
    assert response.status_code == 200, response.text
    return response.json()


def suspend_everyone(api: Api, case: Case) -> dict[str, Any]:
    """The provider's blanket shutdown of Fable, citing the directive."""
    body = {"scope": EVERYONE, "reason": "comply with BIS", "directive_id": case.directive}
    return api.ok(f"/v1/models/{case.fable}/suspensions", body, api.tokens.anthropic)


def test_a_decision_carries_the_contracted_fields(api: Api, case: Case) -> None:
    decision = access(api, case.fable, "domestic", "US")

    assert {
        "model_id",
        "user_class",
        "jurisdiction",
        "allowed",
        "legal_status",
        "operational_status",
        "compliance",
        "basis",
        "valid_until",
        "position",
    } <= decision.keys()
    assert decision["position"] == api.position()


def test_foreign_nationals_are_restricted_while_the_provider_has_not_acted(
    api: Api, case: Case
) -> None:
    decision = access(api, case.fable, "foreign_national", "CN")

    assert decision["legal_status"] == "restricted"
    assert decision["allowed"] is True
    assert decision["compliance"] == "non_compliant"
    [directive] = [b for b in decision["basis"] if b["kind"] == "directive"]
    assert directive["reference"] == "BIS-2026-0117"
    assert directive["authority"] == "Export Administration Regulations §744"
    assert directive["positions"]


def test_the_blanket_shutdown_is_over_compliant_for_domestic_users(api: Api, case: Case) -> None:
    suspend_everyone(api, case)

    decision = access(api, case.fable, "domestic", "US")

    assert decision["allowed"] is False
    assert decision["legal_status"] == "unrestricted"
    assert decision["operational_status"] == "suspended"
    assert decision["compliance"] == "over_compliant"
    assert any(b["kind"] == "provider_act" for b in decision["basis"])


def test_the_blanket_shutdown_complies_for_foreign_nationals(api: Api, case: Case) -> None:
    suspend_everyone(api, case)

    decision = access(api, case.fable, "foreign_national", "CN")

    assert (decision["legal_status"], decision["operational_status"]) == ("restricted", "suspended")
    assert decision["compliance"] == "compliant"


def test_a_time_before_the_models_registration_is_404_naming_that_time(
    api: Api, case: Case
) -> None:
    response = ask(
        api,
        f"/v1/models/{case.fable}/access",
        user_class="domestic",
        jurisdiction="US",
        at="2026-04-01T00:00:00Z",
    )

    problem = response.json()
    assert response.status_code == 404
    assert problem["field"] == "at"
    assert "2026-04-01T00:00:00" in problem["detail"]


def test_known_at_a_position_answers_as_the_register_stood_then(api: Api, case: Case) -> None:
    before = api.position()
    suspend_everyone(api, case)

    then = access(api, case.fable, "domestic", "US", known_at=before)
    now = access(api, case.fable, "domestic", "US")

    assert (then["allowed"], then["position"]) == (True, before)
    assert now["allowed"] is False


def test_known_at_a_recorded_time_answers_as_the_register_stood_then(api: Api, case: Case) -> None:
    time.sleep(0.01)
    between = datetime.now(UTC).isoformat()  # events are recorded by the wall clock
    time.sleep(0.01)
    suspend_everyone(api, case)

    then = access(api, case.fable, "foreign_national", "CN", known_at=between)
    now = access(api, case.fable, "foreign_national", "CN")

    assert then["compliance"] == "non_compliant"
    assert now["compliance"] == "compliant"


@pytest.mark.parametrize("name", ["at", "known_at"])
def test_a_time_without_an_offset_is_refused(api: Api, case: Case, name: str) -> None:
    response = ask(
        api,
        f"/v1/models/{case.fable}/access",
        user_class="domestic",
        jurisdiction="US",
        **{name: "2026-05-01T12:00:00"},
    )

    assert response.status_code == 422
    assert response.json()["field"] == name


def test_an_invalid_jurisdiction_is_refused(api: Api, case: Case) -> None:
    response = ask(
        api, f"/v1/models/{case.fable}/access", user_class="domestic", jurisdiction="Narnia"
    )

    assert response.status_code == 422
    assert response.json()["field"] == "jurisdiction"


def test_an_unknown_model_is_404(api: Api) -> None:
    response = ask(
        api,
        "/v1/models/00000000-0000-4000-8000-000000000000/access",
        user_class="domestic",
        jurisdiction="US",
    )

    assert response.status_code == 404


def test_the_status_matrix_covers_every_mentioned_segment(api: Api, case: Case) -> None:
    suspend_everyone(api, case)

    matrix = ask(api, f"/v1/models/{case.fable}/status").json()

    cells = {(s["user_class"], s["jurisdiction"]): s["compliance"] for s in matrix["segments"]}
    assert cells == {("*", "*"): "over_compliant", ("foreign_national", "*"): "compliant"}


def test_restrictions_list_where_the_law_restricts_and_where_it_is_suspended(
    api: Api, case: Case
) -> None:
    suspend_everyone(api, case)

    where = ask(api, f"/v1/models/{case.fable}/restrictions").json()

    assert [(s["user_class"], s["jurisdiction"]) for s in where["restricted"]] == [
        ("foreign_national", "*")
    ]
    assert len(where["suspended"]) == 2


def test_a_directives_reach_spans_its_models_and_covered_segments(api: Api, case: Case) -> None:
    reach = ask(api, f"/v1/directives/{case.directive}/reach").json()

    assert reach["reference"] == "BIS-2026-0117"
    assert reach["state"] == "in_force"
    assert sorted(m["model_id"] for m in reach["models"]) == sorted([case.fable, case.mythos])
    for model in reach["models"]:
        assert [(s["user_class"], s["jurisdiction"]) for s in model["segments"]] == [
            ("foreign_national", "*")
        ]


def test_the_timeline_shows_the_suspension_as_a_new_interval(
    api: Api, case: Case, clock: FakeClock
) -> None:
    clock.advance(days=1)
    suspend_everyone(api, case)

    timeline = ask(api, f"/v1/models/{case.fable}/timeline").json()

    domestic = [i for i in timeline["intervals"] if i["user_class"] == "*"]
    assert [i["operational_status"] for i in domestic] == ["available", "suspended"]
    assert domestic[0]["valid_to"] == domestic[1]["valid_from"] == "2026-05-02T09:00:00Z"


def test_min_position_makes_a_write_readable_at_once(api: Api, case: Case) -> None:
    written = suspend_everyone(api, case)

    response = api.client.get(
        f"/v1/models/{case.fable}/access",
        params={
            "user_class": "domestic",
            "jurisdiction": "US",
            "min_position": written["position"],
        },
    )

    assert response.json()["operational_status"] == "suspended"
    assert response.json()["position"] >= written["position"]


def test_min_position_beyond_the_end_of_the_log_is_refused(api: Api, case: Case) -> None:
    response = api.get(f"/v1/models/{case.fable}/status?min_position={api.position() + 1000}")

    assert response.status_code == 422
    assert response.json()["field"] == "min_position"


@pytest.fixture
def live(store_url: str, clock: FakeClock) -> Iterator[tuple[TestClient, str]]:
    """A client of an app whose system follows the log in the background; a provider token."""
    system = System(parse_url(store_url), clock=clock, follow=True)
    token = PrincipalStore(system.app.db, clock).add("anthropic", "provider")[1]
    settings = Settings(database_url=store_url, run_projections=True)
    try:
        with TestClient(create_app(settings, system)) as client:
            yield client, token
    finally:
        system.close()


def test_a_following_system_shows_a_write_to_a_reader_passing_its_position(
    live: tuple[TestClient, str],
) -> None:
    client, token = live
    model = client.post(
        "/v1/models", json={"name": "Fable 5", "description": ""}, headers=bearer(token)
    ).json()
    suspended = client.post(
        f"/v1/models/{model['id']}/suspensions",
        json={"scope": EVERYONE, "reason": "precaution"},
        headers=bearer(token),
    ).json()

    response = client.get(
        f"/v1/models/{model['id']}/access",
        params={"user_class": "*", "jurisdiction": "*", "min_position": suspended["position"]},
    )

    assert response.json()["operational_status"] == "suspended"


def test_views_that_do_not_reach_min_position_in_time_answer_503(
    store_url: str, system: System, api: Api
) -> None:
    fable, _ = register_models(api)
    impatient = Settings(database_url=store_url, run_projections=False, min_position_timeout=1e-6)

    with TestClient(create_app(impatient, system)) as client:
        response = client.get(f"/v1/models/{fable}/status?min_position={api.position()}")

    problem = response.json()
    assert response.status_code == 503
    assert problem["rule"] == "projection-lag"
    assert (problem["wanted"], problem["reached"]) == (api.position(), 0)
    assert response.headers["Retry-After"] == "1"
