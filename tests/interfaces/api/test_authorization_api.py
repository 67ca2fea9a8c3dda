"""Who may do what (SPEC §6): a refused principal gets 403 (401 anonymous), nothing recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.interfaces.api.conftest import EVERYONE, Api, Case, directive_body
from tests.reliability.commands import fill

ANONYMOUS = "anonymous"
NARROWER = {"user_classes": ["foreign_national"], "jurisdictions": ["CN"]}


@dataclass(frozen=True)
class Command:
    """One command endpoint, who may call it, and who is refused."""

    name: str
    path: str
    body: dict[str, Any]
    allowed: str
    refused: tuple[str, ...]


OUTSIDERS = ("adobe", "auditor", ANONYMOUS)

MATRIX = [
    Command(
        "register model",
        "/v1/models",
        {"name": "Haiku 5", "description": ""},
        "anthropic",
        ("bis", "eu", "court", *OUTSIDERS),
    ),
    Command(
        "suspend model",
        "/v1/models/{fable}/suspensions",
        {"scope": EVERYONE, "reason": "x"},
        "anthropic",
        ("openai", "bis", "court", *OUTSIDERS),
    ),
    Command(
        "restore model",
        "/v1/models/{fable}/restorations",
        {"scope": EVERYONE, "reason": "x"},
        "anthropic",
        ("openai", "bis", "court", *OUTSIDERS),
    ),
    Command(
        "retire model",
        "/v1/models/{fable}/retirement",
        {"reason": "x"},
        "anthropic",
        ("openai", "bis", "court", *OUTSIDERS),
    ),
    Command(
        "issue directive",
        "/v1/directives",
        directive_body(["{fable}"], reference="BIS-2026-0300"),
        "bis",
        ("anthropic", "openai", "court", *OUTSIDERS),
    ),
    Command(
        "amend directive",
        "/v1/directives/{directive}/amendments",
        {"scope": NARROWER, "reason": "x"},
        "bis",
        ("eu", "anthropic", "court", *OUTSIDERS),
    ),
    Command(
        "rescind directive",
        "/v1/directives/{directive}/rescission",
        {"reason": "x"},
        "bis",
        ("eu", "anthropic", "court", *OUTSIDERS),
    ),
    Command(
        "file appeal",
        "/v1/appeals",
        {"directive_id": "{second}", "grounds": "g", "requested_relief": "r"},
        "anthropic",
        ("openai", "bis", "court", *OUTSIDERS),
    ),
    Command(
        "add submission",
        "/v1/appeals/{appeal}/submissions",
        {"kind": "evidence", "title": "t", "summary": "s"},
        "adobe",
        (ANONYMOUS,),
    ),
    Command(
        "rule on stay",
        "/v1/appeals/{appeal}/stay",
        {"granted": False, "reason": "x"},
        "court",
        ("anthropic", "openai", "eu", "adobe", "auditor", ANONYMOUS),
    ),
    Command(
        "make proposal",
        "/v1/appeals/{appeal}/proposals",
        {"terms": "counter-offer", "proposed_scope": NARROWER},
        "bis",
        ("openai", "eu", "court", *OUTSIDERS),
    ),
    Command(
        "accept proposal",
        "/v1/appeals/{appeal}/proposals/1/acceptance",
        {},
        "bis",
        ("openai", "eu", "court", *OUTSIDERS),
    ),
    Command(
        "reject proposal",
        "/v1/appeals/{appeal}/proposals/1/rejection",
        {"reason": "x"},
        "bis",
        ("openai", "eu", "court", *OUTSIDERS),
    ),
    Command(
        "decide appeal",
        "/v1/appeals/{appeal}/decision",
        {"outcome": "upheld", "reasons": "r"},
        "court",
        ("anthropic", "openai", "eu", "adobe", "auditor", ANONYMOUS),
    ),
    Command(
        "withdraw appeal",
        "/v1/appeals/{appeal}/withdrawal",
        {"reason": "x"},
        "anthropic",
        ("openai", "bis", "eu", "court", *OUTSIDERS),
    ),
]


@pytest.fixture
def ids(api: Api, case: Case) -> dict[str, str]:
    """A negotiating case: Fable suspended, proposal 1 open, a second unappealed directive."""
    tokens = api.tokens
    api.ok(
        f"/v1/models/{case.fable}/suspensions", {"scope": EVERYONE, "reason": "x"}, tokens.anthropic
    )
    api.ok(
        f"/v1/appeals/{case.appeal}/proposals",
        {"terms": "selective restriction", "proposed_scope": NARROWER},
        tokens.anthropic,
    )
    second = api.ok("/v1/directives", directive_body([case.mythos], "BIS-2026-0200"), tokens.bis)
    return {
        "fable": case.fable,
        "directive": case.directive,
        "appeal": case.appeal,
        "second": second["id"],
    }


def _token(api: Api, who: str) -> str | None:
    return None if who == ANONYMOUS else getattr(api.tokens, who)


@pytest.mark.parametrize("command", MATRIX, ids=[c.name for c in MATRIX])
def test_refused_principals_get_403_and_record_nothing(
    api: Api, ids: dict[str, str], command: Command
) -> None:
    path, body = command.path.format(**ids), fill(command.body, ids)
    before = api.position()

    answers = {who: api.post(path, body, _token(api, who)) for who in command.refused}

    expected = {who: 401 if who == ANONYMOUS else 403 for who in command.refused}
    assert {who: r.status_code for who, r in answers.items()} == expected
    assert all(r.headers["Content-Type"] == "application/problem+json" for r in answers.values())
    assert api.position() == before
    allowed = api.post(path, body, _token(api, command.allowed))
    assert allowed.status_code in (200, 201), allowed.text
