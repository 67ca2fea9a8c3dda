"""The server's HTTP protocol: each answer leaves in one write; streams and closes still flow."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from uvicorn.config import Config
from uvicorn.server import ServerState

from interfaces.api.protocol import CoalescingTransport, HttpProtocol


class FakeTransport(asyncio.Transport):
    """Records what reaches the socket, one entry per write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False
        self.buffered = 0

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def _turns(n: int = 3) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


def test_writes_in_one_turn_leave_as_one_and_later_turns_apart() -> None:
    async def scenario() -> list[bytes]:
        inner = FakeTransport()
        outer = CoalescingTransport(inner, asyncio.get_running_loop())
        outer.write(b"HTTP/1.1 200 OK\r\n\r\n")
        outer.write(b"")
        outer.writelines([b"hello", bytearray(b" world")])
        assert inner.writes == []  # nothing sent within the turn
        assert outer.get_write_buffer_size() == len(b"HTTP/1.1 200 OK\r\n\r\nhello world")
        await _turns()
        outer.write(memoryview(b"next"))
        await _turns()
        return inner.writes

    assert asyncio.run(scenario()) == [b"HTTP/1.1 200 OK\r\n\r\nhello world", b"next"]


def test_close_sends_what_is_kept_first_and_abort_drops_it() -> None:
    async def scenario() -> tuple[FakeTransport, FakeTransport]:
        loop = asyncio.get_running_loop()
        closing, aborting = FakeTransport(), FakeTransport()
        a, b = CoalescingTransport(closing, loop), CoalescingTransport(aborting, loop)
        a.write(b"last words")
        a.close()
        b.write(b"never sent")
        b.abort()
        await _turns()
        return closing, aborting

    closing, aborting = asyncio.run(scenario())
    assert closing.writes == [b"last words"] and closing.closed
    assert aborting.writes == [] and aborting.aborted


def test_nothing_is_written_to_a_transport_already_closing() -> None:
    async def scenario() -> FakeTransport:
        inner = FakeTransport()
        outer = CoalescingTransport(inner, asyncio.get_running_loop())
        outer.write(b"too late")
        inner.closed = True  # the peer went away within the turn
        await _turns()
        return inner

    assert asyncio.run(scenario()).writes == []


def test_other_calls_reach_the_transport() -> None:
    inner = FakeTransport()
    outer = CoalescingTransport(inner, asyncio.new_event_loop())
    inner.buffered = 7
    assert outer.get_extra_info("peername") == ("127.0.0.1", 50000)
    assert outer.get_write_buffer_size() == 7
    assert outer.is_closing() is False


async def _hello(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await receive()
    body = b'{"hello":"world"}'
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"17")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def test_an_answer_leaves_the_protocol_in_one_write() -> None:
    async def scenario() -> list[bytes]:
        config = Config(app=_hello, http=HttpProtocol, lifespan="off", log_level="warning")
        protocol = HttpProtocol(config, ServerState(), {}, _loop=asyncio.get_running_loop())
        transport = FakeTransport()
        protocol.connection_made(transport)
        request = b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n"
        protocol.data_received(request + request)  # two answers, pipelined
        for _ in range(50):
            await asyncio.sleep(0)
            if len(transport.writes) == 2:
                break
        protocol.connection_lost(None)
        return transport.writes

    writes = asyncio.run(scenario())
    assert len(writes) == 2
    for write in writes:
        head, body = write.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200 OK")
        assert body == b'{"hello":"world"}'


async def _ticking(scope: Any, receive: Any, send: Any) -> None:
    """A stream of three chunks 0.3 s apart; a 4 MB answer that closes the connection; or
    the request's body echoed."""
    if scope["type"] != "http":
        return
    if scope["path"] == "/echo":
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    await receive()
    if scope["path"] == "/big":
        body = bytes(range(256)) * 16384
        headers = [(b"content-length", str(len(body)).encode()), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    for i in range(3):
        await send({"type": "http.response.body", "body": b"tick %d\n" % i, "more_body": True})
        await asyncio.sleep(0.3)
    await send({"type": "http.response.body", "body": b""})


@pytest.fixture
def served() -> Iterator[int]:
    """A uvicorn server on `HttpProtocol` in a thread; yields its port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = uvicorn.Config(
        _ticking, host="127.0.0.1", port=port, http=HttpProtocol, lifespan="off", log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    yield port
    server.should_exit = True
    thread.join(timeout=10)


def test_a_stream_arrives_as_it_is_written(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served), timeout=5) as conn:
        conn.sendall(b"GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
        started = time.monotonic()
        received = b""
        while b"tick 0" not in received:
            received += conn.recv(4096)
        first = time.monotonic() - started
        while not received.endswith(b"0\r\n\r\n"):
            received += conn.recv(4096)
    assert first < 0.3  # the first chunk came before the stream's next one was written
    assert [line for line in received.split(b"\r\n") if line.startswith(b"tick")] == [
        b"tick 0\n",
        b"tick 1\n",
        b"tick 2\n",
    ]


def test_a_large_answer_that_closes_the_connection_arrives_whole(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served), timeout=5) as conn:
        conn.sendall(b"GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    head, body = received.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert body == bytes(range(256)) * 16384


def test_a_client_expecting_100_continue_gets_it_before_it_sends_the_body(served: int) -> None:
    body = b'{"name": "Fable 5"}'
    with socket.create_connection(("127.0.0.1", served), timeout=5) as conn:
        conn.sendall(
            b"POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        interim = b""
        while b"\r\n\r\n" not in interim:
            interim += conn.recv(4096)  # the server must send it unprompted
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        conn.sendall(body)
        received = interim[len(b"HTTP/1.1 100 Continue\r\n\r\n") :]
        while not received.endswith(body):
            received += conn.recv(4096)
    assert received.startswith(b"HTTP/1.1 200 OK")
