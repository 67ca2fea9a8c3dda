"""On a store that is not local, a command's known caller is not looked up again.

The principal of a token the server has found active before is taken from memory; the
command is then recorded only if the token is found active in the transaction that records
it, and an answer that recorded nothing looks the token up first. So a token revoked by
another process (here: another `PrincipalStore` on the same store) is refused at once, with
401 ahead of any other refusal, and nothing is recorded.
"""

from __future__ import annotations

from typing import Any

import pytest

from application.principals import PrincipalStore
from tests.interfaces.api.conftest import Api, directive_body

REVOKED = "the bearer token is unknown or revoked"


@pytest.fixture
def lookups(api: Api, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens the server's own store looks up, in order."""
    served: PrincipalStore = api.client.app.state.principals  # type: ignore[attr-defined]
    if served.local:
        pytest.skip("a local store looks every token up on the event loop")
    seen: list[str] = []
    real = served.authenticate

    def counted(token: str) -> Any:
        seen.append(token)
        return real(token)

    monkeypatch.setattr(served, "authenticate", counted)
    return seen


def _model(name: str) -> dict[str, str]:
    return {"name": name, "description": ""}


def test_a_known_token_is_taken_from_memory_and_refused_at_once_once_revoked_elsewhere(
    api: Api, principals: PrincipalStore, lookups: list[str]
) -> None:
    principal, token = principals.add("anthropic", "provider")
    assert api.post("/v1/models", _model("Fable 5"), token).status_code == 201
    assert api.post("/v1/models", _model("Mythos 5"), token).status_code == 201
    assert lookups == [token]  # the second command took its caller from memory

    principals.revoke(principal.id)  # by another process's store
    before = api.position()
    refused = api.post("/v1/models", _model("Opus 5"), token)
    again = api.post("/v1/models", _model("Opus 5"), token)

    assert (refused.status_code, refused.json()["detail"]) == (401, REVOKED)
    assert again.status_code == 401
    assert api.position() == before
    assert lookups == [token, token]  # refused in the transaction, then forgotten


@pytest.mark.parametrize(
    ("path", "body", "refusal"),
    [
        ("/v1/models", _model("Fable 5"), 409),  # the name is taken: found as it is saved
        ("/v1/models", _model("   "), 422),  # a blank name: refused before any save
        ("/v1/directives", None, 403),  # a regulator's command: ditto
    ],
    ids=["taken name", "blank name", "not a regulator"],
)
def test_a_revoked_known_token_is_refused_before_the_rule_its_command_breaks(
    api: Api,
    principals: PrincipalStore,
    lookups: list[str],
    path: str,
    body: dict[str, Any] | None,
    refusal: int,
) -> None:
    principal, token = principals.add("anthropic", "provider")
    registered = api.post("/v1/models", _model("Fable 5"), token)
    assert registered.status_code == 201
    if body is None:
        body = directive_body([registered.json()["id"]])
    assert api.post(path, body, token).status_code == refusal  # while the token is active
    principals.revoke(principal.id)
    before = api.position()

    answer = api.post(path, body, token)

    assert (answer.status_code, answer.json()["detail"]) == (401, REVOKED)
    assert api.position() == before


def test_a_revoked_known_token_gets_no_replay_of_its_earlier_answer(
    api: Api, principals: PrincipalStore, lookups: list[str]
) -> None:
    principal, token = principals.add("anthropic", "provider")
    first = api.post("/v1/models", _model("Fable 5"), token, **{"Idempotency-Key": "k-1"})
    replayed = api.post("/v1/models", _model("Fable 5"), token, **{"Idempotency-Key": "k-1"})
    assert (first.status_code, replayed.headers.get("Idempotent-Replayed")) == (201, "true")
    principals.revoke(principal.id)

    answer = api.post("/v1/models", _model("Fable 5"), token, **{"Idempotency-Key": "k-1"})

    assert (answer.status_code, answer.json()["detail"]) == (401, REVOKED)
