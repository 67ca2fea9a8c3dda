"""Running one command over HTTP: context from headers, idempotent replay, the response."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse

from application.context import CommandContext, CommandResult, Idempotency
from application.principals import Principal
from application.service import IdempotentReplay, Regledger
from domain.errors import DomainError
from interfaces.api.auth import NEEDS_TOKEN, Viewer
from interfaces.api.errors import IdempotencyKeyReused, Unauthenticated
from interfaces.api.problems import problem_responses
from interfaces.api.schemas import CommandBody, CommandResponse

IF_MATCH_PATTERN = r'^("[0-9]{1,15}"|[0-9]{1,15}|\*)$'

Call = Callable[[CommandContext], CommandResult]


def request_hash(method: str, path: str, body: CommandBody) -> str:
    """SHA-256 over the method, the path and the body's canonical JSON."""
    canonical = json.dumps(
        body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match header asks for (`*` asks for none in particular)."""
    if if_match is None or if_match == "*":
        return None
    return int(if_match.strip('"'))


class Invocation:
    """One command call: the caller, its preconditions and its idempotency key."""

    def __init__(
        self,
        request: Request,
        app: Regledger,
        principal: Principal,
        if_match: str | None,
        idempotency_key: str | None,
    ) -> None:
        self.request = request
        self.app = app
        self.principal = principal
        self.expected_version = expected_version(if_match)
        self.idempotency_key = idempotency_key

    def context(self, body: CommandBody) -> CommandContext:
        """The application's view of this call."""
        idempotency = None
        if self.idempotency_key is not None:
            digest = request_hash(self.request.method, self.request.url.path, body)
            idempotency = Idempotency(self.idempotency_key, digest)
        return CommandContext(
            actor=self.principal.actor,
            effective_at=body.effective_at,
            expected_version=self.expected_version,
            idempotency=idempotency,
            principal_id=self.principal.id,
        )

    def run(self, body: CommandBody, call: Call, created: str | None = None) -> JSONResponse:
        """Run the command; `created` is the collection path of a newly created record."""
        try:
            result = self._attempt(self.context(body), call)
        except IdempotentReplay as replay:
            if replay.conflicting or replay.result is None:
                raise IdempotencyKeyReused(
                    f"Idempotency-Key {self.idempotency_key!r} was used for another request",
                    field="Idempotency-Key",
                ) from None
            return respond(replay.result, created, replayed=True)
        return respond(result, created)

    def _attempt(self, ctx: CommandContext, call: Call) -> CommandResult:
        try:
            return call(ctx)
        except DomainError:
            # A retry racing its own first attempt may break a rule that attempt has just
            # changed (nothing left to restore): if the first is recorded now, answer with it.
            self.app.replay_idempotent(ctx)
            raise


def respond(result: CommandResult, created: str | None, replayed: bool = False) -> JSONResponse:
    """201 with Location for a creation, 200 otherwise; ETag carries the new version."""
    body = CommandResponse(
        id=result.id, version=result.version, position=result.position, **result.extra
    )
    headers = {"ETag": f'"{result.version}"'}
    if created is not None:
        headers["Location"] = f"{created}/{result.id}"
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=201 if created is not None else 200,
        headers=headers,
    )


async def invocation(
    request: Request,
    principal: Viewer,
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            pattern=IF_MATCH_PATTERN,
            description='The version the command expects, as in the ETag: `"3"`.',
        ),
    ] = None,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            pattern=r"^[\x21-\x7e]+$",
            description="Retries with the same key and body return the first response.",
        ),
    ] = None,
) -> Invocation:
    """Everything a command endpoint needs besides its body (one dependency, per request)."""
    if principal is None:
        raise Unauthenticated(NEEDS_TOKEN)
    app: Regledger = request.app.state.system.app
    return Invocation(request, app, principal, if_match, idempotency_key)


Command = Annotated[Invocation, Depends(invocation)]

_HEADERS = {
    "ETag": {"description": "The aggregate's new version", "schema": {"type": "string"}},
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored first response to a retry",
        "schema": {"type": "string"},
    },
}
_REFUSALS = (401, 403, 404, 409, 412, 413, 422)


def command_responses(created: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses of a command: its success with headers, and its problems."""
    headers = dict(_HEADERS)
    if created:
        headers["Location"] = {
            "description": "The new record's URL",
            "schema": {"type": "string"},
        }
    success = 201 if created else 200
    return {success: {"headers": headers}, **problem_responses(*_REFUSALS)}


def command_route(created: bool = False) -> dict[str, Any]:
    """Decorator arguments shared by every command route."""
    return {
        "status_code": 201 if created else 200,
        "response_model": CommandResponse,
        "response_model_exclude_none": True,
        "responses": command_responses(created),
    }
