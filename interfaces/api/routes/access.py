"""Access questions on both time axes, and what every read of the views shares.

`at` is an effective time; `known_at` a log position or a recorded time; `min_position`
waits (bounded) until the views hold the caller's last write.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BeforeValidator
from starlette.concurrency import run_in_threadpool

from application.projections.runner import ProjectionTimeoutError
from application.queries.reader import Queries
from application.queries.views import (
    AccessDecision,
    AccessTimeline,
    DirectiveReach,
    StatusMatrix,
    WhereRestricted,
)
from application.system import System
from domain.errors import InvalidInputError
from interfaces.api.auth import Viewer
from interfaces.api.problems import problem_responses

router = APIRouter(tags=["access"])

# How long a request helping the views along pauses when another process holds the lock.
POLL_SECONDS = 0.02

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")
_TIME = "an RFC 3339 time with a UTC offset, e.g. 2026-05-01T09:00:00Z"


def _rfc3339(value: Any) -> Any:
    if isinstance(value, str) and not _RFC3339.match(value):
        raise ValueError(f"must be {_TIME}")
    return value


def _position_or_rfc3339(value: Any) -> Any:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    if isinstance(value, str) and not _RFC3339.match(value):
        raise ValueError(f"must be a log position (a whole number) or {_TIME}")
    return value


At = Annotated[
    datetime | None,
    BeforeValidator(_rfc3339),
    Query(description="Effective time asked about (RFC 3339 with offset; default: now)."),
]
KnownAt = Annotated[
    int | datetime | None,
    BeforeValidator(_position_or_rfc3339),
    Query(
        description="As known at this log position (a whole number) or recorded time "
        "(RFC 3339 with offset); default: everything recorded so far."
    ),
]
MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        description="Wait (bounded) until the views hold this log position, e.g. the "
        "`position` a command returned: 503 `projection-lag` if they do not in time, "
        "422 if it lies beyond the end of the log.",
    ),
]


def await_position(
    system: System, min_position: int | None, timeout: float, helping: threading.Lock
) -> None:
    """Return once the views hold `min_position`; ProjectionTimeoutError after `timeout`.

    A process that follows the log waits for its runner. One that does not (a separate
    worker keeps the views) applies the pending events itself, one request at a time: the
    runner's tracking records make that safe beside the worker, and a caller's own write
    is then readable even while the worker is down or behind.
    """
    if not min_position:
        return
    deadline = time.monotonic() + timeout
    reached = system.runner.position()
    if reached >= min_position:
        return
    end = system.app.max_position()
    if min_position > end:
        # No write returned this position: refuse it rather than hold a thread to wait.
        raise InvalidInputError(
            f"min_position {min_position} is beyond the end of the log ({end})",
            field="min_position",
            log_position=end,
        )
    if system.runner.following:
        system.runner.wait_for(min_position, timeout)
        return
    while reached < min_position:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not helping.acquire(timeout=remaining):
            raise ProjectionTimeoutError(min_position, reached)
        try:
            if system.runner.position() < min_position and not system.runner.run_once():
                time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        finally:
            helping.release()
        reached = system.runner.position()


async def current_queries(
    request: Request, viewer: Viewer, min_position: MinPosition = None
) -> Queries:
    """The read API, once the views hold the caller's `min_position` (tokens are checked)."""
    system: System = request.app.state.system
    timeout = request.app.state.settings.min_position_timeout
    if min_position:  # only a wait needs a worker thread
        await run_in_threadpool(
            await_position, system, min_position, timeout, request.app.state.catching_up
        )
    return Queries.of(system, timeout)


Reads = Annotated[Queries, Depends(current_queries)]


def view_route(model: Any) -> dict[str, Any]:
    """Decorator arguments of a public read of the views: anonymous callers are welcome."""
    return {
        "response_model": model,
        "responses": problem_responses(401, 404, 422, 503),
        "openapi_extra": {"security": [{}]},
    }


@router.get("/v1/models/{model_id}/access", **view_route(AccessDecision))
async def model_access(
    model_id: UUID,
    user_class: Annotated[str, Query(description="e.g. `foreign_national`, or `*`.")],
    jurisdiction: Annotated[str, Query(description="ISO 3166-1 alpha-2 code, or `*`.")],
    reads: Reads,
    at: At = None,
    known_at: KnownAt = None,
) -> Response:
    """What a user in one segment gets from the model, what the law requires, and why."""
    if reads.local and at is None and known_at is None:
        # The hot question: about now, from a local store, most often answered by the
        # decision cache. A thread-pool hop would cost more than the answer.
        return decision_response(reads.access_decision_json(model_id, user_class, jurisdiction))
    ask = partial(reads.access_decision, model_id, user_class, jurisdiction, at, known_at)
    return decision_response((await run_in_threadpool(ask)).model_dump_json())


def decision_response(decision: str) -> Response:
    """The JSON response for one decision's JSON (the route's, and the fast lane's)."""
    return Response(decision, media_type="application/json")


@router.get("/v1/models/{model_id}/status", **view_route(StatusMatrix))
def model_status(
    model_id: UUID, reads: Reads, at: At = None, known_at: KnownAt = None
) -> StatusMatrix:
    """The model's full status matrix: every segment any directive or act mentions."""
    return reads.status_matrix(model_id, at, known_at)


@router.get("/v1/models/{model_id}/restrictions", **view_route(WhereRestricted))
def model_restrictions(
    model_id: UUID, reads: Reads, at: At = None, known_at: KnownAt = None
) -> WhereRestricted:
    """Where the model is legally restricted, and where its provider has it suspended."""
    return reads.where_restricted(model_id, at, known_at)


@router.get("/v1/models/{model_id}/timeline", **view_route(AccessTimeline))
def model_timeline(model_id: UUID, reads: Reads, known_at: KnownAt = None) -> AccessTimeline:
    """The model's whole access timeline: every segment, every interval, with its basis."""
    return reads.access_timeline(model_id, known_at)


@router.get("/v1/directives/{directive_id}/reach", **view_route(DirectiveReach))
def directive_reach(
    directive_id: UUID, reads: Reads, at: At = None, known_at: KnownAt = None
) -> DirectiveReach:
    """Whom the directive hits: its models and the segments its scope covers."""
    return reads.directive_reach(directive_id, at, known_at)
