"""What operators see: metrics per app, request ids, and one JSON log line per request."""

from __future__ import annotations

import logging
import re
import secrets
import sys
import time
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from eventsourcing.persistence import PersistenceError
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from application.audit.service import AuditLedger
from application.persistence.jsontext import Encoder
from application.system import System

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_KEY = REQUEST_ID_HEADER.lower().encode("latin-1")
_REPLAYED = (b"idempotent-replayed", b"true")
# A caller's request id is kept when it is a short run of visible characters.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/+=@-]{1,128}$")
UNMATCHED = "<unmatched>"
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
access_log = logging.getLogger("regledger.http")

# LogRecord attributes that are not extra fields given by the caller.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# The keys a line has before the extra fields, with and without a request id.
_OWN_KEYS_NO_ID = frozenset({"time", "level", "logger", "message"})
_OWN_KEYS = _OWN_KEYS_NO_ID | {"request_id"}
# json.dumps(..., default=str, ensure_ascii=False), set up once, not per line.
_ENCODER = Encoder(default=str, ensure_ascii=False, separators=(", ", ": "))


def json_line(
    created: float,
    level: str,
    logger: str,
    message: str,
    request_id: str | None,
    extra: Any = (),
    exception: str | None = None,
) -> str:
    """One log line: time, level, logger, message, request id, `extra`'s pairs, exception."""
    line: dict[str, Any] = {
        "time": datetime.fromtimestamp(created, UTC).isoformat(),
        "level": level,
        "logger": logger,
        "message": message,
    }
    if request_id:
        line["request_id"] = request_id
    line.update(extra)
    if exception is not None:
        line["exception"] = exception
    return _ENCODER.encode(line)


_TEXT = encode_basestring  # a JSON string, as `_ENCODER` writes one (ensure_ascii=False)
# What every request line says between its time and its request id.
_REQUEST_LINE_MIDDLE = (
    f'"level": "info", "logger": {_TEXT(access_log.name)}, "message": "request", "request_id": '
)


def request_line(
    created: float, request_id: str, method: str, route: str, path: str, status: int, ms: float
) -> str:
    """The request log's line, as `json_line` writes it, from a template (made per request).

    The same text as `json_line(created, "info", access_log.name, "request", request_id,
    [("method", method), ("route", route), ("path", path), ("status", status),
    ("duration_ms", ms)])`, with the JSON encoder's own string escaping.
    """
    return (
        f'{{"time": "{datetime.fromtimestamp(created, UTC).isoformat()}", '
        f"{_REQUEST_LINE_MIDDLE}{_TEXT(request_id)}, "
        f'"method": {_TEXT(method)}, "route": {_TEXT(route)}, "path": {_TEXT(path)}, '
        f'"status": {int.__repr__(status)}, "duration_ms": {float.__repr__(ms)}}}'
    )


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        fields = vars(record)
        # The caller's extra fields, in their order, but for the line's own keys.
        extra = fields.keys() - _RECORD_FIELDS - (_OWN_KEYS if request_id else _OWN_KEYS_NO_ID)
        return json_line(
            record.created,
            record.levelname.lower(),
            record.name,
            record.getMessage(),
            request_id,
            [(k, v) for k, v in fields.items() if k in extra] if extra else (),
            self.formatException(record.exc_info) if record.exc_info else None,
        )


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time (it may be replaced after start-up)."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        """The stream is always the current standard error."""

    def write_line(self, text: str) -> None:
        """Write one formatted line as `emit` would, without a record to format."""
        with self.lock:  # type: ignore[union-attr]
            stream = self.stream
            stream.write(text + self.terminator)
            stream.flush()


def sole_json_handler(logger: logging.Logger, level: int) -> StderrHandler | None:
    """The handler a record of `logger` at `level` would reach, when it is the only one.

    That is logging as `configure_logging` sets it up: no filter on `logger`, and along its
    propagation the one `StderrHandler` with a `JsonFormatter` and no filter of its own
    takes records at `level`. A line written straight to it reads as that record would.
    Any other set-up (a handler added, as tests capture records) answers None.
    """
    if logger.filters:
        return None
    sole: logging.Handler | None = None
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            if level >= handler.level:
                if sole is not None:
                    return None
                sole = handler
        if not current.propagate:
            break
        current = current.parent
    if type(sole) is StderrHandler and not sole.filters and type(sole.formatter) is JsonFormatter:
        return sole
    return None


def configure_logging(level: str) -> None:
    """Send the `regledger` loggers to standard error as JSON lines (once per process)."""
    logger = logging.getLogger("regledger")
    logger.setLevel(level.upper())
    if not any(isinstance(h, StderrHandler) for h in logger.handlers):
        handler = StderrHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)


class Metrics:
    """The metrics of one app, in a registry of its own (apps in one process never clash)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "regledger_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "regledger_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status.",
            ["method", "route", "status"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.commands = Counter(
            "regledger_commands",
            "Commands recorded over HTTP (idempotent replays excluded), by operation.",
            ["operation"],
            registry=self.registry,
        )
        self.fast_lane = Counter(
            "regledger_access_fast_lane_answers",
            "Access checks about now answered by the fast lane (the rest by the route).",
            registry=self.registry,
        )
        self.on_loop = Counter(
            "regledger_commands_on_loop",
            "Commands answered on the event loop, alone in flight with the writer free (the "
            "rest ran in the thread pool).",
            registry=self.registry,
        )
        # HTTP requests being answered, open event streams aside (see `ObservabilityMiddleware`).
        self.in_flight = 0
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    def observe(self, labels: tuple[str, str, str], elapsed: float) -> None:
        """Count and time one answered request (the labelled children are looked up once)."""
        children = self._children.get(labels)
        if children is None:
            children = (self.requests.labels(*labels), self.latency.labels(*labels))
            self._children[labels] = children
        children[0].inc()
        children[1].observe(elapsed)

    def watch(self, system_of: Any) -> None:
        """Also report the store's positions, read when scraped from `system_of()`."""
        self.registry.register(SystemCollector(system_of))


class SystemCollector(Collector):
    """Log position, views position, projection lag and ledger size, read at scrape time."""

    def __init__(self, system_of: Any) -> None:
        self.system_of = system_of

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        system: System | None = self.system_of()
        if system is None:
            return
        up = GaugeMetricFamily("regledger_store_up", "1 when the store answered the scrape.")
        try:
            log_position = system.app.max_position()
            views_position = system.runner.position()
            ledger_size = AuditLedger.for_system(system).size()
        except PersistenceError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield _gauge(
            "regledger_log_position", "Position of the last event in the log.", log_position
        )
        yield _gauge(
            "regledger_views_position", "Last log position every view has applied.", views_position
        )
        yield _gauge(
            "regledger_projection_lag",
            "Events recorded but not yet applied to every view.",
            max(0, log_position - views_position),
        )
        yield _gauge("regledger_ledger_size", "Events in the audit ledger.", ledger_size)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation)
    gauge.add_metric([], value)
    return gauge


def _template(scope: Scope) -> str:
    """The matched route's path template, so that ids in paths do not multiply the series."""
    route = scope.get("route")
    if route is not None:
        return str(getattr(route, "path", UNMATCHED))
    if "endpoint" in scope:  # a mounted app: its mount point stands for every path under it
        return f"{scope.get('root_path', '')}/*"
    return UNMATCHED


def request_id_of(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The caller's (first) X-Request-ID when it is well-formed, else a new one.

    `headers` are the request's raw headers, names in lower case as ASGI servers give them.
    """
    for name, value in headers:
        if name == _REQUEST_ID_KEY:
            given = value.decode("latin-1")
            return given if _REQUEST_ID.match(given) else secrets.token_hex(16)
    return secrets.token_hex(16)


class ObservabilityMiddleware:
    """Tags each request with an id, counts and times it, and logs one line about it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope["headers"])
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        answer: dict[str, Any] = {"status": 500, "replayed": False}

        async def tagged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                # The id replaces any the response carries (as `MutableHeaders` would set it).
                headers = [h for h in message.get("headers", ()) if h[0] != _REQUEST_ID_KEY]
                headers.append((_REQUEST_ID_KEY, request_id.encode("latin-1")))
                message["headers"] = headers
                answer["status"] = message["status"]
                answer["replayed"] = _REPLAYED in headers
            await send(message)

        self.metrics.in_flight += 1
        try:
            await self.app(scope, receive, tagged_send)
        finally:
            self.metrics.in_flight -= 1
            self._record(scope, request_id, answer, time.perf_counter() - started)
            request_id_var.reset(token)

    def _record(
        self, scope: Scope, request_id: str, answer: dict[str, Any], elapsed: float
    ) -> None:
        route = scope.get("route")
        template = _template(scope)
        method, status = scope["method"], answer["status"]
        self.metrics.observe((method, template, str(status)), elapsed)
        if method == "POST" and status in (200, 201) and not answer["replayed"] and route:
            self.metrics.commands.labels(getattr(route, "name", template)).inc()
        if access_log.isEnabledFor(logging.INFO):
            path, duration_ms = scope.get("path", ""), round(elapsed * 1000, 3)
            handler = sole_json_handler(access_log, logging.INFO)
            if handler is not None:
                # Logging as set up by `configure_logging`: the line its formatter would make
                # of the record, written as its handler would, without making the record and
                # walking logging's machinery for it (tens of µs a request).
                line = request_line(
                    time.time(), request_id, method, template, path, status, duration_ms
                )
                try:
                    handler.write_line(line)
                    return
                except Exception:  # noqa: BLE001 - logging's own path reports it
                    pass
            # Made and handled directly: `Logger.info` would also look up the caller's
            # source line by walking the (deep) stack of middleware frames, per request.
            record = access_log.makeRecord(
                access_log.name,
                logging.INFO,
                __file__,
                0,
                "request",
                (),
                None,
                extra={
                    "request_id": request_id,
                    "method": method,
                    "route": template,
                    "path": path,
                    "status": status,
                    "duration_ms": duration_ms,
                },
            )
            access_log.handle(record)
