"""Appeals over HTTP: filing, submissions, stay, negotiation, decision and withdrawal."""

from __future__ import annotations

from typing import Any

from tests.interfaces.api.conftest import (
    Api,
    Case,
    appeal_body,
    directive_body,
    register_models,
)

SELECTIVE = {"user_classes": ["foreign_national"], "jurisdictions": ["CN", "IR", "KP", "RU"]}


def _path(case: Case, tail: str = "") -> str:
    return f"/v1/appeals/{case.appeal}{tail}"


def _propose(api: Api, case: Case, token: str, scope: dict[str, Any] | None = SELECTIVE) -> Any:
    body = {"terms": "selective restriction with identity verification", "proposed_scope": scope}
    return api.post(_path(case, "/proposals"), body, token)


def test_a_filed_appeal_reads_back_with_its_parties_and_deadline(api: Api, case: Case) -> None:
    view = api.get(_path(case)).json()

    assert view["directive_id"] == case.directive
    assert view["appellant"] == "anthropic"
    assert view["regulator"] == "us-bis"
    assert view["status"] == "filed"
    assert view["stay_requested"] is True
    assert view["respond_by"] == "2026-05-31T09:00:00Z"


def test_filing_answers_201_with_the_appeals_location(api: Api) -> None:
    fable, mythos = register_models(api)
    directive = api.ok("/v1/directives", directive_body([fable, mythos]), api.tokens.bis)

    response = api.post("/v1/appeals", appeal_body(directive["id"]), api.tokens.anthropic)

    assert response.status_code == 201
    assert response.headers["Location"] == f"/v1/appeals/{response.json()['id']}"
    assert response.headers["ETag"] == '"1"'


def test_a_second_open_appeal_against_a_directive_is_refused(api: Api, case: Case) -> None:
    response = api.post("/v1/appeals", appeal_body(case.directive), api.tokens.anthropic)

    assert response.status_code == 409
    assert response.json()["rule"] == "one-open-appeal-per-directive"


def test_a_submission_is_numbered_and_listed_with_its_signatories(api: Api, case: Case) -> None:
    letter = {
        "kind": "amicus_letter",
        "title": "Joint letter",
        "summary": "urging reversal",
        "signatories": [{"name": "A. Person", "affiliation": "Adobe"}],
        "confidential": False,
        "document_sha256": "ab" * 32,
    }

    response = api.post(_path(case, "/submissions"), letter, api.tokens.adobe)

    assert response.status_code == 200
    assert response.json()["number"] == 1
    [shown] = api.get(_path(case)).json()["submissions"]
    assert shown["submitter"] == {"org": "adobe", "role": "stakeholder"}
    assert shown["signatories"] == [{"name": "A. Person", "affiliation": "Adobe"}]
    assert shown["document_sha256"] == "ab" * 32
    assert shown["redacted"] is False


def test_granting_the_stay_stays_the_directive(api: Api, case: Case) -> None:
    response = api.post(
        _path(case, "/stay"), {"granted": True, "reason": "balance"}, api.tokens.court
    )

    assert response.status_code == 200
    assert api.get(_path(case)).json()["stay"] == "granted"
    directive = api.get(f"/v1/directives/{case.directive}").json()
    assert directive["state"] == "stayed"


def test_denying_the_stay_leaves_the_directive_in_force(api: Api, case: Case) -> None:
    api.ok(_path(case, "/stay"), {"granted": False, "reason": "security"}, api.tokens.bis)

    assert api.get(_path(case)).json()["stay"] == "denied"
    assert api.get(f"/v1/directives/{case.directive}").json()["state"] == "in_force"


def test_a_stay_cannot_be_ruled_on_twice(api: Api, case: Case) -> None:
    api.ok(_path(case, "/stay"), {"granted": False, "reason": "security"}, api.tokens.bis)

    response = api.post(_path(case, "/stay"), {"granted": True, "reason": "x"}, api.tokens.court)

    assert response.status_code == 409
    assert response.json()["rule"] == "stay-already-decided"


def test_a_proposal_is_numbered_and_opens_negotiation(api: Api, case: Case) -> None:
    response = _propose(api, case, api.tokens.anthropic)

    assert response.status_code == 200
    assert response.json()["proposal_no"] == 1
    view = api.get(_path(case)).json()
    assert view["status"] == "negotiating"
    assert view["proposals"] == [
        {
            "number": 1,
            "side": "provider",
            "terms": "selective restriction with identity verification",
            "scope": SELECTIVE,
            "status": "open",
        }
    ]


def test_the_other_party_accepts_the_latest_proposal(api: Api, case: Case) -> None:
    _propose(api, case, api.tokens.anthropic)

    response = api.post(_path(case, "/proposals/1/acceptance"), {}, api.tokens.bis)

    assert response.status_code == 200
    assert response.json()["proposal_no"] == 1
    assert api.get(_path(case)).json()["proposals"][0]["status"] == "accepted"


def test_the_other_party_rejects_the_latest_proposal(api: Api, case: Case) -> None:
    _propose(api, case, api.tokens.bis)

    response = api.post(
        _path(case, "/proposals/1/rejection"), {"reason": "too narrow"}, api.tokens.anthropic
    )

    assert response.status_code == 200
    assert api.get(_path(case)).json()["proposals"][0]["status"] == "rejected"


def test_a_party_cannot_accept_its_own_proposal(api: Api, case: Case) -> None:
    _propose(api, case, api.tokens.anthropic)

    response = api.post(_path(case, "/proposals/1/acceptance"), {}, api.tokens.anthropic)

    assert response.status_code == 409
    assert response.json()["rule"] == "answer-by-other-party"


def test_only_the_latest_open_proposal_can_be_answered(api: Api, case: Case) -> None:
    _propose(api, case, api.tokens.anthropic)
    _propose(api, case, api.tokens.anthropic, scope=None)

    response = api.post(_path(case, "/proposals/1/acceptance"), {}, api.tokens.bis)

    assert response.status_code == 409
    assert response.json()["rule"] == "latest-open-proposal-only"


def test_a_settled_decision_amends_the_directive_to_the_agreed_scope(api: Api, case: Case) -> None:
    _propose(api, case, api.tokens.anthropic)
    api.ok(_path(case, "/proposals/1/acceptance"), {}, api.tokens.bis)

    response = api.post(
        _path(case, "/decision"), {"outcome": "settled", "reasons": "agreed"}, api.tokens.bis
    )

    assert response.status_code == 200
    assert api.get(_path(case)).json()["outcome"] == "settled"
    directive = api.get(f"/v1/directives/{case.directive}").json()
    assert directive["scope"] == SELECTIVE
    assert directive["open_appeal_id"] is None


def test_an_overturning_decision_rescinds_the_directive(api: Api, case: Case) -> None:
    api.ok(_path(case, "/decision"), {"outcome": "overturned", "reasons": "r"}, api.tokens.court)

    assert api.get(f"/v1/directives/{case.directive}").json()["state"] == "rescinded"


def test_a_modified_decision_without_a_new_scope_is_refused(api: Api, case: Case) -> None:
    response = api.post(
        _path(case, "/decision"), {"outcome": "modified", "reasons": "r"}, api.tokens.court
    )

    assert response.status_code == 409
    assert response.json()["rule"] == "modified-needs-new-scope"
    assert response.json()["field"] == "new_scope"


def test_withdrawal_closes_the_appeal_and_frees_the_directive(api: Api, case: Case) -> None:
    response = api.post(
        _path(case, "/withdrawal"), {"reason": "settled privately"}, api.tokens.anthropic
    )

    assert response.status_code == 200
    assert api.get(_path(case)).json()["status"] == "withdrawn"
    assert api.get(f"/v1/directives/{case.directive}").json()["open_appeal_id"] is None


def test_a_decided_appeal_refuses_further_submissions(api: Api, case: Case) -> None:
    api.ok(_path(case, "/decision"), {"outcome": "upheld", "reasons": "r"}, api.tokens.court)
    body = {
        "kind": "evidence",
        "title": "late",
        "summary": "s",
        "signatories": [],
        "confidential": False,
    }

    response = api.post(_path(case, "/submissions"), body, api.tokens.anthropic)

    assert response.status_code == 409
    assert response.json()["rule"] == "appeal-closed"


def test_appeal_history_shows_the_negotiation_in_order(api: Api, case: Case) -> None:
    _propose(api, case, api.tokens.anthropic)
    api.ok(_path(case, "/proposals/1/rejection"), {"reason": "no"}, api.tokens.bis)

    record = api.get(_path(case, "/history")).json()

    assert [e["type"] for e in record["events"]] == ["Filed", "ProposalMade", "ProposalRejected"]
    assert record["events"][2]["data"] == {"number": 1, "reason": "no"}
    assert record["events"][2]["actor"] == {"org": "us-bis", "role": "regulator"}
