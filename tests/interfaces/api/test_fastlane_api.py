"""The access fast lane answers plain checks about now exactly as the route does, and no others."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from application.system import System
from interfaces.api import fastlane
from interfaces.api.fastlane import AccessFastLane
from interfaces.api.observability import Metrics
from tests.interfaces.api.conftest import Api, Case, bearer
from tests.interfaces.api.test_ops_api import value

SEGMENTS = [
    ("foreign_national", "CN"),
    ("domestic", "US"),
    ("enterprise", "DE"),
    ("*", "*"),
]
ROUTE = "/v1/models/{model_id}/access"


def lane_answers(api: Api) -> float:
    return value(api, "regledger_access_fast_lane_answers_total") or 0.0


def lane_expected(system: System) -> bool:
    """The lane only answers from a local store (SQLite file or memory), not over a network."""
    return not system.app.db.is_postgres


def get(
    api: Api, model: str, headers: dict[str, str] | None = None, **params: Any
) -> httpx.Response:
    return api.client.get(f"/v1/models/{model}/access", params=params, headers=headers or {})


def same_answer(lane: httpx.Response, route: httpx.Response) -> None:
    assert lane.status_code == route.status_code == 200
    assert lane.content == route.content  # the clock stands still: even `at` is equal
    assert lane.headers["content-type"] == route.headers["content-type"] == "application/json"
    assert lane.headers["content-length"] == route.headers["content-length"]


def test_plain_checks_about_now_get_the_routes_answer(api: Api, case: Case, system: System) -> None:
    system.runner.catch_up()
    before = lane_answers(api)
    for model in (case.fable, case.mythos):
        for user_class, jurisdiction in SEGMENTS:
            plain = {"user_class": user_class, "jurisdiction": jurisdiction}
            lane = get(api, model, **plain)
            # `min_position=0` asks nothing more, but it is not the lane's shape: the route answers.
            route = get(api, model, **plain, min_position=0)
            same_answer(lane, route)
    expected = 2 * len(SEGMENTS) if lane_expected(system) else 0
    assert lane_answers(api) - before == expected


def test_the_lanes_answers_follow_new_events_at_once(api: Api, case: Case, system: System) -> None:
    system.runner.catch_up()
    plain = {"user_class": "domestic", "jurisdiction": "US"}
    assert get(api, case.fable, **plain).json()["operational_status"] == "available"
    api.ok(
        f"/v1/models/{case.fable}/suspensions",
        {"scope": {"user_classes": ["*"], "jurisdictions": ["*"]}, "reason": "blanket"},
        api.tokens.anthropic,
    )
    system.runner.catch_up()

    after = get(api, case.fable, **plain)

    assert after.json()["operational_status"] == "suspended"
    assert after.json()["position"] == api.position()
    same_answer(after, get(api, case.fable, **plain, min_position=api.position()))


@pytest.mark.parametrize(
    ("extra", "headers"),
    [
        ({"at": "2026-01-01T00:00:00Z"}, {}),
        ({"known_at": "1"}, {}),
        ({"min_position": "1"}, {}),
        ({"unexpected": "x"}, {}),
        ({}, {"Authorization": "Bearer not-a-token"}),
        ({}, {"Authorization": "Basic abc"}),
    ],
    ids=["at", "known_at", "min_position", "other-parameter", "bad-token", "not-bearer"],
)
def test_any_other_shape_goes_to_the_route(
    api: Api, case: Case, system: System, extra: dict[str, str], headers: dict[str, str]
) -> None:
    system.runner.catch_up()
    before = lane_answers(api)

    response = get(api, case.fable, headers, user_class="domestic", jurisdiction="US", **extra)

    assert lane_answers(api) == before
    if "Authorization" in headers:
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
    elif "at" in extra:
        assert response.status_code == 404  # before the model's registration, as the route says
    else:
        assert response.status_code == 200


def test_a_good_token_is_checked_by_the_route_and_gets_the_same_answer(
    api: Api, case: Case, system: System
) -> None:
    system.runner.catch_up()
    plain = {"user_class": "foreign_national", "jurisdiction": "FR"}
    before = lane_answers(api)

    with_token = get(api, case.fable, bearer(api.tokens.adobe), **plain)

    assert lane_answers(api) == before
    same_answer(get(api, case.fable, **plain), with_token)


@pytest.mark.parametrize(
    ("model", "user_class", "jurisdiction", "status"),
    [
        ("not-a-uuid-but-36-characters-long!!", "domestic", "US", 422),  # not the lane's path
        ("0" * 32, "domestic", "US", 404),  # a well-formed id nobody registered
        (None, "domestic", "XX", 422),
        (None, "", "US", 422),
        (None, "domestic", "", 422),
    ],
)
def test_bad_questions_get_the_routes_problem_documents(
    api: Api,
    case: Case,
    system: System,
    model: str | None,
    user_class: str,
    jurisdiction: str,
    status: int,
) -> None:
    system.runner.catch_up()
    before = lane_answers(api)

    response = get(api, model or case.fable, user_class=user_class, jurisdiction=jurisdiction)

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert lane_answers(api) == before


def test_the_lanes_answers_are_counted_and_logged_under_the_routes_template(
    api: Api, case: Case, system: System, capsys: pytest.CaptureFixture[str]
) -> None:
    system.runner.catch_up()
    labels = {"method": "GET", "route": ROUTE, "status": "200"}
    before = value(api, "regledger_http_requests_total", **labels) or 0.0

    response = get(api, case.fable, user_class="domestic", jurisdiction="US")

    assert value(api, "regledger_http_requests_total", **labels) == before + 1
    assert response.headers["X-Request-ID"]
    logged = [line for line in capsys.readouterr().err.splitlines() if ROUTE in line]
    assert any(response.headers["X-Request-ID"] in line for line in logged)


def test_an_unknown_model_is_404_from_the_lane_shape(api: Api, system: System) -> None:
    response = get(api, str(uuid.uuid4()), user_class="domestic", jurisdiction="US")

    assert response.status_code == 404
    assert response.json()["type"].endswith("not-found")


def test_a_question_asked_again_gets_the_same_treatment(
    api: Api, case: Case, system: System
) -> None:
    system.runner.catch_up()
    before = lane_answers(api)
    plain = {"user_class": "domestic", "jurisdiction": "US"}
    other = {**plain, "unexpected": "x"}

    answers = [get(api, case.fable, **asked) for asked in (plain, other, plain, other)]

    assert [a.status_code for a in answers] == [200] * 4
    assert answers[0].content == answers[2].content
    expected = 2 if lane_expected(system) else 0  # the plain ones only, both times
    assert lane_answers(api) - before == expected


def test_the_lanes_memory_of_questions_and_ids_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fastlane, "KEPT", 3)
    lane = AccessFastLane(None, Metrics())  # type: ignore[arg-type]
    ids = [uuid.uuid4() for _ in range(5)]

    segments = [lane._segment(f"user_class=u{i}&jurisdiction=J{i}".encode()) for i in range(5)]
    parsed = [lane._model(str(i).upper()) for i in ids]

    assert segments == [(f"u{i}", f"J{i}") for i in range(5)]
    assert lane._segment(b"user_class=u&user_class=v") is None
    assert lane._segment(b"jurisdiction=US&user_class=domestic") == ("domestic", "US")
    assert parsed == ids
    with pytest.raises(ValueError):
        lane._model("not-a-uuid")
    assert len(lane._segments) <= 3
    assert len(lane._models) <= 3
