"""Real processes on loopback: `regledger serve`/`worker` as subprocesses, the CLI, fresh stores."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests.conftest import PG_ADMIN_URL, STORES

REGLEDGER = str(Path(sys.executable).with_name("regledger"))
LIVE_STORES = [kind for kind in ("sqlite", "postgres") if kind in STORES]
START_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new, uniquely named PostgreSQL database, dropped (forcibly) afterwards."""
    name = f"regledger_rel_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def store_of_kind(kind: str, workdir: Path) -> Iterator[str]:
    """A fresh, empty store URL of a kind a separate process can open."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir}/regledger.db"
    else:
        with fresh_pg_database() as url:
            yield url


def environment(url: str, workdir: Path, **settings: str) -> dict[str, str]:
    """The environment of a regledger process on a store, its key file in `workdir`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGLEDGER_")}
    env.update(
        REGLEDGER_DATABASE_URL=url,
        REGLEDGER_SIGNING_KEY_PATH=str(workdir / "ledger-key.pem"),
        REGLEDGER_LOG_LEVEL="warning",
    )
    env.update({f"REGLEDGER_{k.upper()}": v for k, v in settings.items()})
    return env


def cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `regledger ARGS` to completion."""
    return subprocess.run(
        [REGLEDGER, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def add_principal(env: dict[str, str], org: str, role: str) -> tuple[str, str]:
    """`regledger principal add`: the new principal's id and its token."""
    done = cli(env, "principal", "add", "--org", org, "--role", role)
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    principal_id = done.stderr.split("principal ", 1)[1].split(":", 1)[0].strip()
    return principal_id, token


class Process:
    """A long-running regledger subprocess whose output goes to a file."""

    def __init__(self, args: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.args = [REGLEDGER, *args]
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process (output appended to the log file)."""
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.args, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        """The process id."""
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        """Whether it still runs."""
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, open transactions die with the process."""
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Ask it to stop and wait; killed if it does not within 15 s. Its exit code."""
        assert self.proc is not None
        if self.alive():
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        return int(self.proc.returncode)

    def rss_bytes(self) -> int:
        """Resident set size, from /proc."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS in /proc status")

    def output(self) -> str:
        """Everything the process printed so far."""
        return self.log.read_text(errors="replace")


class Server(Process):
    """`regledger serve` on a free loopback port."""

    def __init__(self, env: dict[str, str], workdir: Path, name: str = "serve") -> None:
        self.port = free_port()
        super().__init__(
            ["serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env,
            workdir / f"{name}.log",
        )
        self.base_url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start and wait until /healthz answers."""
        super().start()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"server exited at start:\n{self.output()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"server did not answer within {START_TIMEOUT} s:\n{self.output()}")

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        """An HTTP client of this server speaking as `token`."""
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30, **kwargs)


@contextmanager
def running(server: Process) -> Iterator[Process]:
    """Start a process and make sure it is gone afterwards."""
    server.start()
    try:
        yield server
    finally:
        server.kill()
