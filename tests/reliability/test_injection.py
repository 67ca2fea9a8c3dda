"""SQL and HTML injection strings are data: stored verbatim, returned as JSON strings, shown
escaped on the pages, and the store keeps working. On every store."""

from __future__ import annotations

import html
from typing import Any

import pytest

from tests.interfaces.api.conftest import FOREIGN, Api
from tests.reliability.routes import routes

SQL = "Robert'); DROP TABLE stored_events; DROP TABLE regledger_events; --"
SQL_TOO = "' OR '1'='1' /* \" ; SELECT pg_sleep(10); --"
HTML = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'
MIXED = '{{7*7}} ${jndi:ldap://x/a} %s%n \u202egnp.exe 😀 \\" ` <!--'
DANGEROUS_MARKUP = ('<script>alert("pwned")', "<img src=x onerror")


@pytest.fixture
def recorded(api: Api) -> dict[str, Any]:
    """A model, directive, appeal and submission whose free text is hostile."""
    t = api.tokens
    model = api.ok("/v1/models", {"name": HTML, "description": SQL}, t.anthropic)["id"]
    directive_body = {
        "reference": f"BIS-{SQL_TOO}"[:120],
        "provider": "anthropic",
        "model_ids": [model],
        "scope": FOREIGN,
        "authority": HTML,
        "grounds": MIXED,
    }
    directive = api.ok("/v1/directives", directive_body, t.bis)["id"]
    appeal_body = {
        "directive_id": directive,
        "grounds": SQL,
        "requested_relief": HTML,
        "stay_requested": False,
    }
    appeal = api.ok("/v1/appeals", appeal_body, t.anthropic)["id"]
    letter = {
        "kind": "amicus_letter",
        "title": HTML,
        "summary": SQL_TOO,
        "signatories": [{"name": HTML, "affiliation": SQL}, {"name": MIXED, "affiliation": ""}],
    }
    api.ok(f"/v1/appeals/{appeal}/submissions", letter, t.adobe)
    api.system.runner.catch_up()
    return {
        "model": model,
        "directive": directive,
        "appeal": appeal,
        "directive_body": directive_body,
        "letter": letter,
    }


def _json(api: Api, path: str) -> Any:
    answer = api.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/json"
    return answer.json()


def test_hostile_strings_are_returned_verbatim_as_json_data(
    api: Api, recorded: dict[str, Any]
) -> None:
    model = _json(api, f"/v1/models/{recorded['model']}")
    directive = _json(api, f"/v1/directives/{recorded['directive']}")
    appeal = _json(api, f"/v1/appeals/{recorded['appeal']}")

    assert (model["name"], model["description"]) == (HTML, SQL)
    expected = recorded["directive_body"]
    assert [directive[k] for k in ("reference", "authority", "grounds")] == [
        expected[k] for k in ("reference", "authority", "grounds")
    ]
    assert (appeal["grounds"], appeal["requested_relief"]) == (SQL, HTML)
    submission = appeal["submissions"][0]
    assert (submission["title"], submission["summary"]) == (HTML, SQL_TOO)
    assert submission["signatories"] == recorded["letter"]["signatories"]


def test_hostile_strings_are_returned_verbatim_in_the_history(
    api: Api, recorded: dict[str, Any]
) -> None:
    events = _json(api, f"/v1/appeals/{recorded['appeal']}/history")["events"]

    filed, letter = events[0]["data"], events[1]["data"]
    assert (filed["grounds"], filed["requested_relief"]) == (SQL, HTML)
    assert (letter["title"], letter["summary"]) == (HTML, SQL_TOO)


def test_store_keeps_working_after_hostile_strings(api: Api, recorded: dict[str, Any]) -> None:
    more = api.ok("/v1/models", {"name": "Mythos 5", "description": ""}, api.tokens.anthropic)
    api.system.runner.catch_up()

    listed = _json(api, "/v1/models")
    text = str(listed)
    assert recorded["model"] in text
    assert more["id"] in text
    assert more["position"] > 0


def test_pages_show_hostile_strings_escaped(api: Api, recorded: dict[str, Any]) -> None:
    pages = [r for r in routes(api.client.app) if r.method == "GET" and r.path.startswith("/ui")]
    if not pages:
        pytest.skip("no web pages are served")
    ids = {
        "model_id": recorded["model"],
        "directive_id": recorded["directive"],
        "appeal_id": recorded["appeal"],
    }
    shown = {}
    for page in pages:
        if set(page.parameters) <= set(ids):
            answer = api.get(page.fill(ids))
            if answer.headers.get("Content-Type", "").startswith("text/html"):
                shown[page.path] = answer.text

    assert shown
    unescaped = {p: m for p, text in shown.items() for m in DANGEROUS_MARKUP if m in text}
    assert unescaped == {}
    assert any(html.escape(HTML, quote=False)[:20] in text for text in shown.values())
