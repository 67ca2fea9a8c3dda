"""uvicorn's HTTP/1.1 protocol on httptools, writing each answer to the socket in one piece.

uvicorn writes a response's head and its body to the transport separately, and asyncio sends
each at once: two segments, two system calls and two wake-ups of the client for every
answer. Here the connection's writes made during one turn of the event loop are joined and
sent at the end of that turn, so an answer whose head and body are sent together (every
answer but a stream) leaves in one.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """A transport whose writes in one turn of the event loop go to the socket as one."""

    __slots__ = ("_transport", "_loop", "_pending")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Keep `data` to send with the turn's other writes."""
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def writelines(self, chunks: Any) -> None:
        """Keep each chunk to send with the turn's other writes."""
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        """Send what the turn wrote (nothing once the connection is closing)."""
        pending = self._pending
        if not pending:
            return
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        """Bytes not yet sent: those kept for this turn and those the transport holds."""
        return sum(map(len, self._pending)) + self._transport.get_write_buffer_size()

    def close(self) -> None:
        """Send what is kept, then close (the transport sends its buffer before closing)."""
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        """Send what is kept, then end the writing side."""
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        """Close at once, dropping what is kept."""
        self._pending.clear()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a `CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
