"""Running one command over HTTP: context from headers, idempotent replay, the response."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import StringConstraints, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from application.context import CommandContext, CommandResult, Idempotency
from application.persistence.recorders import CallerCheck, CallerNotActive
from application.persistence.sqlite import is_busy, without_waiting
from application.principals import Principal, PrincipalStore
from application.service import IdempotentReplay, Regledger
from domain.errors import DomainError
from interfaces.api.auth import (
    BEARER_SCHEME,
    NEEDS_TOKEN,
    BearerPrincipal,
    authenticated,
    bearer_token,
)
from interfaces.api.errors import (
    HEADER_ERRORS,
    PENDING_TOKEN,
    UNKNOWN_TOKEN,
    IdempotencyKeyReused,
    Unauthenticated,
    header_errors,
)
from interfaces.api.observability import Metrics
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
    """One command call: the caller, its preconditions and its idempotency key.

    The caller is `principal`, or, where the token lookup is left to the command's own
    thread-pool hop (a store that is not local), the `token` that `run` identifies first.
    A token the store has found active before is not looked up again there: the command
    is recorded only if its token is found active in the same transaction (`CallerCheck`),
    and an answer that recorded nothing looks it up before it is given, so that a revoked
    token is refused first, whatever else the command met.
    """

    def __init__(
        self,
        request: Request,
        app: Regledger,
        principal: Principal | str,
        if_match: str | None,
        idempotency_key: str | None,
    ) -> None:
        self.request = request
        self.app = app
        self._caller = principal
        self._token = principal if isinstance(principal, str) else None
        self._check: CallerCheck | None = None
        self.expected_version = expected_version(if_match)
        self.idempotency_key = idempotency_key

    @property
    def principal(self) -> Principal:
        """The calling principal; a pending token is identified (in the caller's thread)."""
        if isinstance(self._caller, str):
            self.request.scope.pop(PENDING_TOKEN, None)
            found = self._principals.identify(self._caller)
            if found is None:
                raise Unauthenticated(UNKNOWN_TOKEN)
            self._caller, digest = found
            self._check = None if digest is None else CallerCheck(digest)
        return self._caller

    @property
    def _principals(self) -> PrincipalStore:
        store: PrincipalStore = self.request.app.state.principals
        return store

    def _verify(self) -> None:
        """Refuse a token identified from memory that was not found active since."""
        if self._check is not None and not self._check.passed and self._token is not None:
            authenticated(self._principals, self._token)
            self._check.passed = True

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
            caller_check=self._check,
        )

    def run(self, body: CommandBody, call: Call, created: str | None = None) -> JSONResponse:
        """Run the command; `created` is the collection path of a newly created record."""
        context = self.context(body)  # the caller first: an unknown token is refused here
        try:
            result = self._attempt(context, call)
        except IdempotentReplay as replay:
            self._verify()
            if replay.conflicting or replay.result is None:
                raise IdempotencyKeyReused(
                    f"Idempotency-Key {self.idempotency_key!r} was used for another request",
                    field="Idempotency-Key",
                ) from None
            return respond(replay.result, created, replayed=True)
        except CallerNotActive:
            if self._check is not None:
                self._principals.forget(self._check.token_hash)
            raise Unauthenticated(UNKNOWN_TOKEN) from None
        except Exception:
            self._verify()  # a revoked token is refused first, whatever else went wrong
            raise
        self._verify()  # found active as the command was recorded, unless no check was asked
        return respond(result, created)

    async def submit(
        self, body: CommandBody, call: Call, created: str | None = None
    ) -> JSONResponse:
        """`run`, on the event loop when it has nothing else to do, else in the thread pool.

        The library is synchronous. A command that is the only request in flight, on a
        local store, is run at once on the loop, provided the store's writer is free: the
        two thread hand-offs of a hop cost more than such a command's own work. It never
        waits there for a lock: if the writer is busy (a batch of the views, a command in
        a thread, another process), nothing has been recorded, and it runs in the thread
        pool as any other command, which waits for the lock. With other requests in
        flight, a command goes to the thread pool at once, so that the loop serves them
        while the command waits for the disk.
        """
        errors = header_errors(self.request.scope)
        if errors:
            raise RequestValidationError(errors)
        metrics: Metrics = self.request.app.state.metrics
        if self.app.db.is_local and metrics.in_flight <= 1:
            with without_waiting():
                try:
                    response = self.run(body, call, created)
                except Exception as e:
                    if not is_busy(e):
                        raise
                else:
                    metrics.on_loop.inc()
                    return response
        return await run_in_threadpool(self.run, body, call, created)

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


class CommandHeader:
    """An optional request header of every command: checked as FastAPI checks a `Header`.

    The header is read and validated by the command's one dependency (`CommandCaller`)
    rather than declared as a parameter: FastAPI then resolves one dependency per command
    instead of three levels of them. Its OpenAPI parameter and its validation errors are
    the ones a declared `Header` has.
    """

    def __init__(self, name: str, description: str, **constraints: Any) -> None:
        self.name = name
        self._key = name.lower()
        self._adapter: TypeAdapter[str] = TypeAdapter(
            Annotated[str, StringConstraints(**constraints)]
        )
        self.parameter = {
            "name": name,
            "in": "header",
            "required": False,
            "schema": {"description": description, "title": name, **self._adapter.json_schema()},
            "description": description,
        }

    def read(self, request: Request, errors: list[Any]) -> str | None:
        """The header's value, or None when absent; a bad value's errors go to `errors`."""
        value = request.headers.get(self._key)
        if value is None:
            return None
        try:
            return self._adapter.validate_python(value)
        except ValidationError as e:
            errors.extend(
                {**error, "loc": ("header", self.name)} for error in e.errors(include_url=False)
            )
            return None


IF_MATCH = CommandHeader(
    "If-Match",
    'The version the command expects, as in the ETag: `"3"`.',
    pattern=IF_MATCH_PATTERN,
)
IDEMPOTENCY_KEY = CommandHeader(
    "Idempotency-Key",
    "Retries with the same key and body return the first response.",
    min_length=1,
    max_length=200,
    pattern=r"^[\x21-\x7e]+$",
)


class CommandCaller(BearerPrincipal):
    """Everything a command needs besides its body: the caller and the command's headers.

    One dependency per request, run on the event loop. The bearer token is required (401
    without it, whatever else is wrong). On a local store the token is looked up here; on
    any other the lookup waits for the command's own thread-pool hop (`Invocation.run`),
    one hop and no round trip more per command, and the token is kept in the request's
    scope meanwhile, so that a request refused as invalid is still refused first as
    unauthenticated when its token is unknown or revoked (see `errors`). Bad `If-Match` or
    `Idempotency-Key` values are kept in the request's scope rather than raised here, so
    that FastAPI still validates the body: the 422 then lists the headers' errors and the
    body's together, as it did when the headers were declared parameters (see
    `header_errors`); with a valid body, `Invocation.submit` refuses the headers before
    anything runs.
    """

    async def __call__(self, request: Request) -> Invocation:  # type: ignore[override]
        token = bearer_token(request)
        if token is None:
            raise Unauthenticated(NEEDS_TOKEN)
        principals: PrincipalStore = request.app.state.principals
        caller: Principal | str = token
        if principals.local:
            caller = authenticated(principals, token)
        else:
            request.scope[PENDING_TOKEN] = token
        errors: list[Any] = []
        if_match = IF_MATCH.read(request, errors)
        idempotency_key = IDEMPOTENCY_KEY.read(request, errors)
        if errors:
            request.scope[HEADER_ERRORS] = errors
        app: Regledger = request.app.state.system.app
        return Invocation(request, app, caller, if_match, idempotency_key)


caller = CommandCaller(**BEARER_SCHEME)

Command = Annotated[Invocation, Security(caller)]

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
        "openapi_extra": {"parameters": [IF_MATCH.parameter, IDEMPOTENCY_KEY.parameter]},
    }
