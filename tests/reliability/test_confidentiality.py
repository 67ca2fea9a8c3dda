"""Confidential submissions never leak through any read path to those who may not see them.

Every GET route the app serves (API, event log and stream, pages, metrics) is read by each
principal outside the case's circle, and by an anonymous caller; none of their answers may
contain any part of a confidential filing. Routes added later are swept automatically.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest

from tests.interfaces.api.conftest import Api
from tests.reliability.routes import Route, required_query, routes
from tests.reliability.scenes import Principals

# Not for reading records: the framework's documentation pages and the pages' static files.
NOT_RECORDS = ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/ui/static/{name}")
OUTSIDERS = (
    "anonymous",
    "openai",  # another provider
    "eu",  # another regulator
    "nvidia",  # a stakeholder that filed nothing
    "anthropic_as_stakeholder",  # the appellant's organisation, but not as the provider
    "bis_as_stakeholder",  # the regulator's organisation, but not as the regulator
)
INSIDERS = ("anthropic", "bis", "court", "auditor", "adobe")
STREAM_BYTES = 64_000
QUERY = {
    "user_class": "foreign_national",
    "jurisdiction": "CN",
    "position": "1",
    "first": "1",
    "second": "2",
}


@pytest.fixture
def store_url() -> str:
    """Redaction does not depend on the store: the in-memory one is enough."""
    return f"memory://secret{uuid.uuid4().hex}"


def _secret_submission(marker: str) -> dict[str, Any]:
    return {
        "kind": "evidence",
        "title": f"SECRET-TITLE-{marker}",
        "summary": f"SECRET-SUMMARY-{marker}",
        "signatories": [{"name": f"SECRET-SIGNER-{marker}", "affiliation": f"SECRET-AT-{marker}"}],
        "confidential": True,
        "document_sha256": hashlib.sha256(marker.encode()).hexdigest(),
    }


@pytest.fixture
def secrets(api: Api, scene: dict[str, Any], who: Principals) -> list[str]:
    """Confidential filings by a stakeholder and by both parties; the strings none may see."""
    hidden = []
    for filer in ("adobe", "anthropic", "bis"):
        marker = uuid.uuid4().hex
        body = _secret_submission(marker)
        api.ok(f"/v1/appeals/{scene['appeal']}/submissions", body, who[filer] or "")
        hidden += [marker, body["document_sha256"]]
    public = {"kind": "amicus_letter", "title": "PUBLIC-LETTER", "summary": "reverse it"}
    api.ok(f"/v1/appeals/{scene['appeal']}/submissions", public, who["adobe"] or "")
    api.system.runner.catch_up()
    return hidden


def _readable(api: Api) -> list[Route]:
    return [r for r in routes(api.client.app) if r.method == "GET" and r.path not in NOT_RECORDS]


def _url(api: Api, route: Route, scene: dict[str, Any]) -> str:
    ids = {"model_id": scene["fable"], "directive_id": scene["directive"]}
    ids |= {"appeal_id": scene["appeal"], "proposal_no": "1"}
    query = "&".join(f"{name}={QUERY[name]}" for name in required_query(api.client.app, route))
    return route.fill(ids) + (f"?{query}" if query else "")


def _read(api: Api, url: str, token: str | None) -> tuple[int, str]:
    """Status and text of a GET, a stream read only as far as its first STREAM_BYTES."""
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    with api.client.stream("GET", url, headers=headers) as response:
        body = b""
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) >= STREAM_BYTES or b"PUBLIC-LETTER" in body:
                break
        return response.status_code, body.decode(errors="replace")


def test_every_read_path_answers_outsiders_without_confidential_parts(
    api: Api, scene: dict[str, Any], who: Principals, secrets: list[str]
) -> None:
    leaks = []
    for route in _readable(api):
        url = _url(api, route, scene)
        for outsider in OUTSIDERS:
            status, text = _read(api, url, who[outsider])
            assert status < 500, f"{url} as {outsider}: {status} {text[:300]}"
            leaks += [f"{url} as {outsider}" for secret in secrets if secret in text]

    assert leaks == []


def test_the_case_record_still_shows_confidential_parts_to_those_entitled(
    api: Api, scene: dict[str, Any], who: Principals, secrets: list[str]
) -> None:
    appeal = f"/v1/appeals/{scene['appeal']}"

    seen = {insider: _read(api, appeal, who[insider])[1] for insider in INSIDERS}

    assert all(secrets[0] in text for text in seen.values())


def test_outsiders_see_the_public_filing_and_that_confidential_ones_exist(
    api: Api, scene: dict[str, Any], who: Principals, secrets: list[str]
) -> None:
    status, text = _read(api, f"/v1/appeals/{scene['appeal']}", None)

    assert status == 200
    assert "PUBLIC-LETTER" in text
    assert text.count('"redacted":true') == 3


def test_the_auditors_global_log_and_stream_carry_confidential_parts(
    api: Api, scene: dict[str, Any], who: Principals, secrets: list[str]
) -> None:
    logged = _read(api, "/v1/events?limit=1000", who["auditor"])[1]
    streamed = _read(api, "/v1/events/stream", who["auditor"])[1]

    assert all(secret in logged for secret in secrets)
    assert secrets[0] in streamed
