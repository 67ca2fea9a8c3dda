"""SPEC §6 authorization, exhaustively: every command route needs a token (401), refuses the
right role of another organisation and another role of the right organisation (403), and
records nothing when it refuses. Complements tests/interfaces/api/test_authorization_api.py.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from application.principals import PrincipalStore
from tests.interfaces.api.conftest import Api
from tests.reliability.commands import COMMANDS, Command, fill, template
from tests.reliability.routes import routes
from tests.reliability.scenes import Principals

BAD_AUTHORIZATION = {
    "unknown token": "Bearer rl_" + "A" * 43,
    "token without the prefix": "Bearer " + "A" * 43,
    "empty bearer": "Bearer ",
    "basic scheme": "Basic YW50aHJvcGljOnNlY3JldA==",
    "bare token": "rl_" + "A" * 43,
    "oversized token": "Bearer rl_" + "A" * 10_000,
}


@pytest.fixture
def store_url() -> str:
    """Authorization does not depend on the store: the in-memory one is enough."""
    return f"memory://authz{uuid.uuid4().hex}"


def _problem(response: Any, status: int) -> bool:
    return (
        response.status_code == status
        and response.headers["Content-Type"] == "application/problem+json"
    )


def test_every_command_route_is_in_the_matrix(api: Api) -> None:
    served = {
        r.path for r in routes(api.client.app) if r.method == "POST" and r.path.startswith("/v1/")
    }

    assert served == {template(c.path) for c in COMMANDS}


@pytest.mark.parametrize("command", COMMANDS, ids=[c.name for c in COMMANDS])
def test_anonymous_caller_gets_401_for_every_command(
    api: Api, scene: dict[str, Any], command: Command
) -> None:
    path, before = fill(command.path, scene), api.position()

    answers = [api.post(path, body, None) for body in (fill(command.body, scene), {}, [])]

    assert all(_problem(a, 401) for a in answers), [a.text for a in answers]
    assert all(a.headers["WWW-Authenticate"].startswith("Bearer") for a in answers)
    assert api.position() == before


@pytest.mark.parametrize("command", COMMANDS, ids=[c.name for c in COMMANDS])
def test_unusable_authorization_gets_401_for_every_command(
    api: Api, scene: dict[str, Any], command: Command
) -> None:
    path, body, before = fill(command.path, scene), fill(command.body, scene), api.position()

    answers = {
        name: api.client.post(path, json=body, headers={"Authorization": value})
        for name, value in BAD_AUTHORIZATION.items()
    }

    assert {n: a.status_code for n, a in answers.items()} == dict.fromkeys(answers, 401)
    assert api.position() == before


@pytest.mark.parametrize("command", COMMANDS, ids=[c.name for c in COMMANDS])
def test_revoked_principal_gets_401_for_every_command(
    api: Api, principals: PrincipalStore, scene: dict[str, Any], command: Command, who: Principals
) -> None:
    holder = principals.authenticate(who[command.allowed] or "")
    assert holder is not None
    principals.revoke(holder.id)
    path, body, before = fill(command.path, scene), fill(command.body, scene), api.position()

    answer = api.post(path, body, who[command.allowed])

    assert _problem(answer, 401), answer.text
    assert api.position() == before


REFUSALS = [
    (c, refused, kind)
    for c in COMMANDS
    for kind, group in (("other organisation", c.other_org), ("other role", c.other_role))
    for refused in group
]


@pytest.mark.parametrize(
    ("command", "refused", "kind"),
    REFUSALS,
    ids=[f"{c.name} by {r} ({k})" for c, r, k in REFUSALS],
)
def test_principal_of_another_organisation_or_role_gets_403(
    api: Api, scene: dict[str, Any], who: Principals, command: Command, refused: str, kind: str
) -> None:
    path, body, before = fill(command.path, scene), fill(command.body, scene), api.position()

    answer = api.post(path, body, who[refused])

    assert _problem(answer, 403), answer.text
    assert api.position() == before
    allowed = api.post(path, body, who[command.allowed])
    assert allowed.status_code in (200, 201), allowed.text
