"""The one place where refusals become HTTP: which status, which rule, which problem."""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping, Sequence
from functools import lru_cache
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from application.projections.runner import ProjectionTimeoutError
from domain.errors import (
    DomainError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RuleViolationError,
    StaleVersionError,
)
from interfaces.api.problems import FieldError, field_errors, problem, title_of

log = logging.getLogger("regledger.api")

# Looked up along the error's class hierarchy: the most specific entry wins.
STATUS_OF: dict[type[DomainError], int] = {
    NotFoundError: 404,
    PermissionDeniedError: 403,
    StaleVersionError: 412,
    InvalidInputError: 422,
    RuleViolationError: 409,
    DomainError: 409,
}

# Rules for refusals that come from HTTP itself rather than from the domain.
RULE_OF_STATUS = {
    400: "bad-request",
    401: "unauthenticated",
    404: "not-found",
    405: "method-not-allowed",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "invalid-input",
    503: "service-unavailable",
}

_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_CORE_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "rule", "errors"})


class ApiError(Exception):
    """A refusal decided by the HTTP layer (authentication, idempotency)."""

    status = 400
    rule = "bad-request"
    title = "Bad request"
    headers: dict[str, str] = {}

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


UNKNOWN_TOKEN = "the bearer token is unknown or revoked"


class Unauthenticated(ApiError):
    """No bearer token, or one that is unknown or revoked."""

    status = 401
    rule = "unauthenticated"
    title = "Authentication required"
    headers = {"WWW-Authenticate": 'Bearer realm="regledger"'}


class IdempotencyKeyReused(ApiError):
    """An Idempotency-Key presented again with a different request."""

    status = 422
    rule = "idempotency-key-reused"
    title = "Idempotency key reused"


class BodyTooLarge(StarletteHTTPException):
    """The request body is over the configured limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


def status_of(error: DomainError) -> int:
    """The HTTP status for a domain refusal."""
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 409


def _json_detail(errors: Sequence[Any]) -> str:
    error = next(e for e in errors if e["type"] == "json_invalid")
    loc = error.get("loc", ())
    where = f" at character {loc[-1]}" if loc and isinstance(loc[-1], int) else ""
    reason = (error.get("ctx") or {}).get("error", "not valid JSON")
    return f"the request body is not valid JSON{where}: {reason}"


def _validation_problem(request: Request, errors: Sequence[Any]) -> JSONResponse:
    listed = field_errors(errors)
    kinds = {e.type for e in listed}
    first = listed[0] if listed else FieldError(field=None, message="invalid request", type="")
    if "json_invalid" in kinds:
        rule, title = "malformed-json", "Malformed JSON"
    elif "extra_forbidden" in kinds:
        rule, title = "unknown-field", "Unknown field"
        first = next(e for e in listed if e.type == "extra_forbidden")
    else:
        rule, title = "invalid-input", "Invalid input"
    detail = f"{first.field}: {first.message}" if first.field else first.message
    if rule == "malformed-json":
        detail = _json_detail(errors)
    return problem(422, rule, title, detail, request.url.path, field=first.field, errors=listed)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    extensions = {
        k: v
        for k, v in exc.context.items()
        if k not in _CORE_MEMBERS and isinstance(v, str | int | bool)
    }
    headers = {}
    if isinstance(exc, StaleVersionError) and "current_version" in exc.context:
        headers["ETag"] = f'"{exc.context["current_version"]}"'
    return problem(
        status_of(exc), exc.rule, exc.title, exc.detail, request.url.path, headers, **extensions
    )


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return problem(
        exc.status,
        exc.rule,
        exc.title,
        exc.detail,
        request.url.path,
        exc.headers,
        field=exc.field,
    )


# Where a command's dependency leaves its headers' validation errors (see `commands`).
HEADER_ERRORS = "regledger.header_errors"


def header_errors(scope: MutableMapping[str, Any]) -> list[Any]:
    """A command's header validation errors not yet reported (taken: reported once)."""
    return scope.pop(HEADER_ERRORS, None) or []


# Where a command's dependency leaves a bearer token it has not looked up yet: on a store
# that is not local the lookup runs in the command's own thread-pool hop (see `commands`).
PENDING_TOKEN = "regledger.pending_token"


async def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError | ValidationError)
    # An unknown or revoked token is refused whatever else is wrong with the request, as
    # when the token is looked up before the body is validated.
    token = request.scope.pop(PENDING_TOKEN, None)
    if token is not None:
        principals = request.app.state.principals
        if await run_in_threadpool(principals.authenticate, token) is None:
            return await _api_error(request, Unauthenticated(UNKNOWN_TOKEN))
    # A command's bad headers come first, as when they were declared parameters.
    return _validation_problem(request, [*header_errors(request.scope), *exc.errors()])


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.__cause__ is not None:
        # The framework could not read the body (e.g. bytes that are not UTF-8).
        reason = type(exc.__cause__).__name__
        unreadable = f"the request body is not valid JSON text ({reason})"
        return problem(422, "malformed-json", "Malformed JSON", unreadable, request.url.path)
    status = exc.status_code
    phrase = title_of(status)
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else ""
    if not detail:
        detail = f"{request.method} {request.url.path}: {phrase.lower()}"
    rule = RULE_OF_STATUS.get(status, "http-error")
    headers = dict(exc.headers or {})
    if status == 405:
        headers["Allow"] = allowed_methods(request, headers.get("Allow", ""))
    return problem(status, rule, phrase, detail, request.url.path, headers)


def allowed_methods(request: Request, given: str) -> str:
    """Every method the API documents on this path: a path may be split over routers."""
    methods = {m.strip() for m in given.split(",") if m.strip()}
    for template, operations in request.app.openapi().get("paths", {}).items():
        if _path_pattern(template).fullmatch(request.url.path):
            methods |= {m.upper() for m in operations if m in _METHODS}
    return ", ".join(sorted(methods))


@lru_cache(maxsize=512)
def _path_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]*\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


async def _projection_timeout(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProjectionTimeoutError)
    return problem(
        503,
        "projection-lag",
        "Projections not yet current",
        str(exc),
        request.url.path,
        {"Retry-After": "1"},
        wanted=exc.wanted,
        reached=exc.reached,
    )


async def _store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # The store did not answer (down, unreachable, pool exhausted): worth a retry.
    log.warning("store unavailable on %s %s: %s", request.method, request.url.path, exc)
    return problem(
        503,
        "store-unavailable",
        "Store unavailable",
        "the event store did not answer; try again shortly (a retry with the same "
        "Idempotency-Key is safe)",
        request.url.path,
        {"Retry-After": "1"},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The traceback goes to the server log; the client learns only that it was not its fault.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        500,
        "internal-error",
        "Internal Server Error",
        "the server failed to handle the request; nothing was recorded unless acknowledged",
        request.url.path,
    )


def install(app: FastAPI) -> None:
    """Register every problem handler on the app."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(ValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(ProjectionTimeoutError, _projection_timeout)
    app.add_exception_handler(OperationalError, _store_unavailable)
    app.add_exception_handler(InterfaceError, _store_unavailable)
    app.add_exception_handler(Exception, _unexpected)
