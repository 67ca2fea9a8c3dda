"""Request body size limit, checked on Content-Length and again while the body streams in."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from interfaces.api.errors import RULE_OF_STATUS, BodyTooLarge
from interfaces.api.problems import problem, title_of

# No route reads the body of these requests, so there is nothing to limit.
BODYLESS = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyLimitMiddleware:
    """Refuse request bodies over `max_bytes` with a 413 problem."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in BODYLESS:
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the endpoint's body read, so the app's handler answers.
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(
            413,
            RULE_OF_STATUS[413],
            title_of(413),
            f"the request body is larger than {self.max_bytes} bytes",
            scope.get("path"),
            {"Connection": "close"},
        )
        await response(scope, receive, send)
