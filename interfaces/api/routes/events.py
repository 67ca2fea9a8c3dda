"""The global event log for auditors: paged, and live as server-sent events.

Both read the history view, so an event appears here once the projections have applied it.
Auditors see every event whole, confidential filings included.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from application.principals import Principal
from application.queries import log
from application.queries.log import LogEvent
from application.queries.views import Page
from application.system import System
from domain.actor import Role
from domain.errors import PermissionDeniedError
from interfaces.api.auth import Viewer, get_system
from interfaces.api.errors import Unauthenticated
from interfaces.api.observability import Metrics
from interfaces.api.problems import problem_responses
from interfaces.api.routes.access import Reads

router = APIRouter(prefix="/v1/events", tags=["audit"])

MAX_LIMIT = 1000
STREAM_BATCH = 200
POLL_SECONDS = 0.25
HEARTBEAT_SECONDS = 15.0
RETRY_MILLISECONDS = 3000


async def auditor(principal: Viewer) -> Principal:
    """The calling auditor; anyone else is refused."""
    if principal is None:
        raise Unauthenticated("the global log needs an auditor's 'Authorization: Bearer <token>'")
    if principal.role != Role.AUDITOR:
        raise PermissionDeniedError(
            f"the global log is for auditors; {principal.actor} may not read it",
            role=str(principal.role),
        )
    return principal


Auditor = Annotated[Principal, Depends(auditor)]
# The largest position a store can hold (a signed 64-bit integer in both engines).
After = Annotated[
    int | None, Query(ge=0, le=2**63 - 1, description="Events after this log position.")
]


def read_log(system: System, after: int, limit: int) -> list[LogEvent]:
    """At most `limit` events after a log position, from the history view."""
    return log.read_log(system.app.db, log.state_decoder(system.app.mapper), after, limit)


@router.get(
    "",
    response_model=Page[LogEvent],
    responses=problem_responses(401, 403, 422, 503),
)
def list_events(
    system: Annotated[System, Depends(get_system)],
    caller: Auditor,
    reads: Reads,
    after: After = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Events per page.")] = 100,
) -> Page[LogEvent]:
    """The global log in order, paged by position (auditors)."""
    events = read_log(system, after or 0, limit + 1)
    more = len(events) > limit
    events = events[:limit]
    return Page(items=events, next_after=events[-1].position if more else None)


SSE_EVENT = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "The event's log position."},
        "event": {"type": "string", "description": "The event's type."},
        "data": {"type": "string", "description": "The event as JSON, as in `GET /v1/events`."},
        "retry": {"type": "integer", "description": "Reconnection delay in milliseconds."},
    },
}


class EventStream(StreamingResponse):
    """A `text/event-stream` response."""

    media_type = "text/event-stream"


def _frame(event: LogEvent) -> str:
    return f"id: {event.position}\nevent: {event.type}\ndata: {event.model_dump_json()}\n\n"


async def _stream(
    request: Request, system: System, after: int, limit: int | None, stopping: threading.Event
) -> AsyncIterator[str]:
    # An open stream mostly sleeps: it is not counted among the requests in flight, which
    # a command alone among them would make way for (see `Invocation.submit`).
    metrics: Metrics = request.app.state.metrics
    metrics.in_flight -= 1
    try:
        yield f"retry: {RETRY_MILLISECONDS}\n\n"
        sent, beat = 0, time.monotonic()
        while True:  # at least one batch, even when the server is already stopping
            wanted = STREAM_BATCH if limit is None else min(STREAM_BATCH, limit - sent)
            events = await run_in_threadpool(read_log, system, after, wanted)
            for event in events:
                yield _frame(event)
            if events:
                after, sent, beat = events[-1].position, sent + len(events), time.monotonic()
            if (limit is not None and sent >= limit) or stopping.is_set():
                return
            if len(events) == wanted:
                continue  # more are waiting
            if await request.is_disconnected():
                return
            if time.monotonic() - beat >= HEARTBEAT_SECONDS:
                yield ": keep-alive\n\n"
                beat = time.monotonic()
            await anyio.sleep(POLL_SECONDS)
    finally:
        metrics.in_flight += 1


@router.get(
    "/stream",
    response_class=EventStream,
    responses={
        200: {
            "description": "Server-sent events: `id` is the log position, `event` the type, "
            "`data` the event as in `GET /v1/events`; `: keep-alive` comments while idle.",
            # Before OpenAPI 3.2 (`itemSchema`), a stream's schema describes each event.
            "content": {"text/event-stream": {"schema": SSE_EVENT}},
        },
        **problem_responses(401, 403, 422),
    },
)
async def stream_events(
    request: Request,
    system: Annotated[System, Depends(get_system)],
    caller: Auditor,
    after: After = None,
    limit: Annotated[
        int | None, Query(ge=1, description="End the stream after this many events.")
    ] = None,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            pattern=r"^[0-9]{1,18}$",
            description="Resume after this position (sent by reconnecting clients).",
        ),
    ] = None,
) -> EventStream:
    """The global log live: every event as it is projected, resumable (auditors)."""
    start = int(last_event_id) if last_event_id is not None else after or 0
    stopping: threading.Event = request.app.state.stopping
    return EventStream(
        _stream(request, system, start, limit, stopping),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@contextmanager
def streams_end_on_exit_signal(stopping: threading.Event) -> Iterator[None]:
    """While open, SIGINT/SIGTERM first set `stopping`, then reach the server's own handler.

    A server drains open responses before it shuts the app down, and a live stream never
    ends by itself: the streams must learn of the signal to let the shutdown proceed.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    chained = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(sig)
        if callable(previous):
            chained[sig] = previous
            signal.signal(sig, _chain(stopping, previous))
    try:
        yield
    finally:
        for sig, previous in chained.items():
            signal.signal(sig, previous)


def _chain(stopping: threading.Event, previous: Callable[[int, FrameType | None], Any]) -> Any:
    def handler(signum: int, frame: FrameType | None) -> None:
        stopping.set()
        previous(signum, frame)

    return handler
