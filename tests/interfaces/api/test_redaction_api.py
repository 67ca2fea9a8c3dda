"""Confidential filings: shown to the parties, adjudicators and auditors, redacted for others."""

from __future__ import annotations

from typing import Any

import pytest

from application.principals import PrincipalStore
from tests.interfaces.api.conftest import Api, Case

OUTSIDERS = ["anonymous", "adobe", "openai", "eu"]
ENTITLED = ["anthropic", "bis", "court", "auditor"]
SECRET = "classified assessment of the jailbreak techniques"
RESPONSE = {
    "kind": "response",
    "title": "Regulator's response",
    "summary": SECRET,
    "signatories": [{"name": "Under Secretary", "affiliation": "BIS"}],
    "confidential": True,
    "document_sha256": "cd" * 32,
}


@pytest.fixture
def filed(api: Api, case: Case) -> Case:
    """The regulator has filed a confidential response to the appeal."""
    api.ok(f"/v1/appeals/{case.appeal}/submissions", RESPONSE, api.tokens.bis)
    return case


def _token(api: Api, who: str) -> str | None:
    return None if who == "anonymous" else getattr(api.tokens, who)


def _submission(api: Api, case: Case, token: str | None) -> dict[str, Any]:
    [submission] = api.get(f"/v1/appeals/{case.appeal}", token).json()["submissions"]
    return submission  # type: ignore[no-any-return]


def _history_entry(api: Api, case: Case, token: str | None) -> dict[str, Any]:
    events = api.get(f"/v1/appeals/{case.appeal}/history", token).json()["events"]
    [entry] = [e for e in events if e["type"] == "SubmissionAdded"]
    return entry  # type: ignore[no-any-return]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_the_appeal_redacts_a_confidential_filing_for_outsiders(
    api: Api, filed: Case, who: str
) -> None:
    submission = _submission(api, filed, _token(api, who))

    assert submission["redacted"] is True
    assert submission["confidential"] is True
    assert submission["kind"] == "response"
    assert submission["title"] is None and submission["summary"] is None
    assert submission["signatories"] == [] and submission["document_sha256"] is None


@pytest.mark.parametrize("who", ENTITLED)
def test_the_appeal_shows_a_confidential_filing_to_parties_and_officials(
    api: Api, filed: Case, who: str
) -> None:
    submission = _submission(api, filed, _token(api, who))

    assert submission["redacted"] is False
    assert submission["summary"] == SECRET
    assert submission["document_sha256"] == "cd" * 32


@pytest.mark.parametrize("who", OUTSIDERS)
def test_history_redacts_a_confidential_filing_for_outsiders(
    api: Api, filed: Case, who: str
) -> None:
    entry = _history_entry(api, filed, _token(api, who))

    assert entry["redacted"] is True
    assert entry["data"] == {
        "confidential": True,
        "kind": "response",
        "number": 1,
        "redacted": True,
    }
    assert SECRET not in str(entry)


@pytest.mark.parametrize("who", ENTITLED)
def test_history_shows_a_confidential_filing_to_parties_and_officials(
    api: Api, filed: Case, who: str
) -> None:
    entry = _history_entry(api, filed, _token(api, who))

    assert entry["redacted"] is False
    assert entry["data"]["summary"] == SECRET
    assert entry["data"]["signatories"] == RESPONSE["signatories"]


def test_a_public_filing_is_shown_to_anonymous_readers(api: Api, case: Case) -> None:
    api.ok(
        f"/v1/appeals/{case.appeal}/submissions",
        {**RESPONSE, "confidential": False},
        api.tokens.bis,
    )

    assert _submission(api, case, None)["summary"] == SECRET


def test_a_submitter_sees_its_own_confidential_filing_but_not_its_peers(
    api: Api, case: Case, principals: PrincipalStore
) -> None:
    _, nvidia = principals.add("nvidia", "stakeholder")
    api.ok(f"/v1/appeals/{case.appeal}/submissions", RESPONSE, api.tokens.adobe)

    own = _submission(api, case, api.tokens.adobe)
    peer = _submission(api, case, nvidia)

    assert own["redacted"] is False
    assert peer["redacted"] is True
