"""A retry that races its own first attempt gets the first response, never a refusal.

The first attempt is made to land in the window between the retry's idempotency check and
the rest of its command, where the retry would otherwise break a rule the first attempt has
just changed (the name is taken; the scope is no longer suspended).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from application.context import CommandContext, CommandResult, Idempotency
from application.principals import PrincipalStore
from interfaces.api.commands import request_hash
from interfaces.api.schemas import CommandBody, ModelRegistration, Restoration
from tests.interfaces.api.conftest import FOREIGN, Api

KEY = "retry-0001"


def _context(
    principals: PrincipalStore, token: str, path: str, body: CommandBody
) -> CommandContext:
    """The context the HTTP layer builds for this request under KEY."""
    principal = principals.authenticate(token)
    assert principal is not None
    return CommandContext(
        actor=principal.actor,
        idempotency=Idempotency(KEY, request_hash("POST", path, body)),
        principal_id=principal.id,
    )


def _first_attempt_lands_after_the_check(
    api: Api, monkeypatch: pytest.MonkeyPatch, first_attempt: Callable[[], CommandResult]
) -> list[CommandResult]:
    app = api.system.app
    check = app.replay_idempotent
    landed: list[CommandResult] = []

    def check_then_let_the_first_attempt_land(ctx: CommandContext) -> None:
        check(ctx)
        monkeypatch.setattr(app, "replay_idempotent", check)
        landed.append(first_attempt())

    monkeypatch.setattr(app, "replay_idempotent", check_then_let_the_first_attempt_land)
    return landed


def _as_json(result: CommandResult) -> dict[str, Any]:
    return {"id": str(result.id), "version": result.version, "position": result.position}


def test_registration_retried_while_its_first_attempt_lands_gets_the_first_response(
    api: Api, principals: PrincipalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"name": "Fable 5", "description": "frontier"}
    ctx = _context(principals, api.tokens.anthropic, "/v1/models", ModelRegistration(**body))
    landed = _first_attempt_lands_after_the_check(
        api, monkeypatch, lambda: api.system.app.register_model(ctx, "Fable 5", "frontier")
    )

    retry = api.post("/v1/models", body, api.tokens.anthropic, **{"Idempotency-Key": KEY})

    assert retry.status_code == 201, retry.text
    assert retry.json() == _as_json(landed[0])
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert api.position() == landed[0].position


def test_restoration_retried_while_its_first_attempt_lands_gets_the_first_response(
    api: Api, principals: PrincipalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = api.ok("/v1/models", {"name": "Fable 5", "description": ""}, api.tokens.anthropic)
    model_id = UUID(model["id"])
    suspension = {"scope": FOREIGN, "reason": "comply"}
    api.ok(f"/v1/models/{model_id}/suspensions", suspension, api.tokens.anthropic)
    path, body = f"/v1/models/{model_id}/restorations", {"scope": FOREIGN, "reason": "restore"}
    restoration = Restoration(**body)
    ctx = _context(principals, api.tokens.anthropic, path, restoration)
    landed = _first_attempt_lands_after_the_check(
        api,
        monkeypatch,
        lambda: api.system.app.restore_model(ctx, model_id, restoration.scope, "restore"),
    )

    retry = api.post(path, body, api.tokens.anthropic, **{"Idempotency-Key": KEY})

    assert retry.status_code == 200, retry.text
    assert retry.json() == _as_json(landed[0])
    assert api.position() == landed[0].position
