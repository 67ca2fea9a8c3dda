"""A fast lane for the busiest read: an anonymous access check about now, on a local store.

`GET /v1/models/{model_id}/access?user_class=U&jurisdiction=J` with nothing else asked is
what gatekeepers call on every use of a model. Through the whole framework (routing,
dependency resolution, parameter validation) it costs several times the answer itself.
This middleware answers exactly that request shape with the same query and the same
response the route gives (`routes.access.decision_response`); anything else — a token to
check, `at`, `known_at`, `min_position`, an unknown model, a bad segment, a store across a
network, any error — goes on to the route, which answers it as before. The lane sits
inside the request-id, metrics and logging middleware, so its answers are counted and
logged under the route's own template.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl
from uuid import UUID

from starlette.types import ASGIApp, Receive, Scope, Send

from application.queries.reader import Queries
from interfaces.api.observability import Metrics
from interfaces.api.routes import access

PATH = re.compile(r"^/v1/models/([0-9A-Fa-f-]{32,36})/access$")
ASKED = ("jurisdiction", "user_class")
K = TypeVar("K")
V = TypeVar("V")
# Gatekeepers ask the same few questions over and over: a query string's reading and a
# model id's parse are kept, up to this many of each (then forgotten all at once).
KEPT = 4096


class AccessFastLane:
    """Answers plain access checks about now directly; passes every other request on."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.answered = metrics.fast_lane
        # The route the lane stands in for: logs and metrics name its path template.
        self.route = next(
            r for r in access.router.routes if getattr(r, "name", "") == "model_access"
        )
        self._segments: dict[bytes, tuple[str, str] | None] = {}
        self._models: dict[str, UUID] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            match = PATH.match(scope["path"])
            if match is not None:
                response = self._answer(scope, match.group(1))
                if response is not None:
                    self.answered.inc()
                    scope["route"] = self.route
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    def _answer(self, scope: Scope, model: str) -> Any:
        if any(name == b"authorization" for name, _ in scope["headers"]):
            return None  # the route checks the token
        segment = self._segment(scope["query_string"])
        if segment is None:
            return None
        state = scope["app"].state
        system = getattr(state, "system", None)
        if system is None:
            return None
        queries = Queries.of(system, state.settings.min_position_timeout)
        if not queries.local:
            return None
        try:
            decision = queries.access_decision_json(self._model(model), *segment)
        except Exception:  # noqa: BLE001
            # Bad input, an unknown model, a store error: the route meets the same and
            # answers with its problem document (the lane sits outside the error handlers).
            return None
        return access.decision_response(decision)

    def _segment(self, query: bytes) -> tuple[str, str] | None:
        """(user_class, jurisdiction) when the query string asks exactly those, else None."""
        return _kept(self._segments, query, _segment_of)

    def _model(self, text: str) -> UUID:
        """The model id in the path (ValueError when it is not one)."""
        return _kept(self._models, text, UUID)


_MISSING: Any = object()


def _kept(memo: dict[K, V], key: K, make: Callable[[K], V]) -> V:
    """`make(key)`, kept in `memo` (emptied at once when it holds `KEPT`)."""
    value = memo.get(key, _MISSING)
    if value is _MISSING:
        value = make(key)
        if len(memo) >= KEPT:
            memo.clear()
        memo[key] = value
    return value


def _segment_of(query: bytes) -> tuple[str, str] | None:
    asked = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    if len(asked) != 2 or tuple(sorted(name for name, _ in asked)) != ASKED:
        return None
    values = dict(asked)
    return (values["user_class"], values["jurisdiction"])
