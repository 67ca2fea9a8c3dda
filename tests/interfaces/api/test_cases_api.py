"""The docket over HTTP: open appeals with their directive, negotiation and deadlines."""

from __future__ import annotations

from typing import Any

from tests.conftest import FakeClock
from tests.interfaces.api.conftest import Api, Case


def docket(api: Api, **params: Any) -> dict[str, Any]:
    """The docket once the views hold everything recorded so far."""
    response = api.client.get("/v1/cases", params={"min_position": api.position(), **params})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_an_open_appeal_is_on_the_docket_with_its_directive_and_deadline(
    api: Api, case: Case
) -> None:
    [entry] = docket(api)["items"]

    assert entry["appeal_id"] == case.appeal
    assert entry["directive_id"] == case.directive
    assert entry["reference"] == "BIS-2026-0117"
    assert entry["directive_state"] == "in_force"
    assert (entry["status"], entry["stay"], entry["round"]) == ("filed", "requested", 0)
    assert entry["respond_by"] == "2026-05-31T09:00:00Z"
    assert entry["deadline_lapsed"] is False


def test_a_deadline_counts_as_lapsed_once_its_time_has_passed(
    api: Api, case: Case, clock: FakeClock
) -> None:
    clock.advance(days=31)

    body = docket(api)

    [entry] = body["items"]
    assert body["at"] == "2026-06-01T09:00:00Z"
    assert entry["deadline_lapsed"] is True
    assert entry["lapsed_recorded"] == []


def test_the_docket_can_be_judged_at_another_time(api: Api, case: Case) -> None:
    [before] = docket(api, at="2026-05-30T00:00:00Z")["items"]
    [after] = docket(api, at="2026-06-01T00:00:00Z")["items"]

    assert before["deadline_lapsed"] is False
    assert after["deadline_lapsed"] is True


def test_the_docket_shows_the_negotiation_round_and_latest_proposal(api: Api, case: Case) -> None:
    api.ok(
        f"/v1/appeals/{case.appeal}/proposals",
        {"terms": "identity verification for foreign nationals"},
        api.tokens.anthropic,
    )

    [entry] = docket(api)["items"]

    assert (entry["status"], entry["round"]) == ("negotiating", 1)
    assert entry["latest_proposal"]["terms"] == "identity verification for foreign nationals"
    assert entry["latest_proposal"]["side"] == "provider"


def test_a_granted_stay_shows_on_the_docket_and_stays_the_directive(api: Api, case: Case) -> None:
    api.ok(
        f"/v1/appeals/{case.appeal}/stay", {"granted": True, "reason": "pending"}, api.tokens.court
    )

    [entry] = docket(api)["items"]

    assert (entry["stay"], entry["directive_state"]) == ("granted", "stayed")


def test_a_decided_appeal_leaves_the_docket(api: Api, case: Case) -> None:
    api.ok(
        f"/v1/appeals/{case.appeal}/decision",
        {"outcome": "upheld", "reasons": "the risk is real"},
        api.tokens.court,
    )

    assert docket(api)["items"] == []
