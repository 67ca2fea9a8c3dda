"""Shared machinery: servers under test, the load tool, the machine's description."""

from __future__ import annotations

import os
import platform
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from interfaces.cli.server import HTTP_PROTOCOL

# As `regledger serve` runs the API: one process, its HTTP protocol (the same name, so the
# two cannot drift apart), no access log.
UVICORN_ARGS = (
    "--no-access-log",
    "--log-level",
    "warning",
    "--workers",
    "1",
    "--http",
    HTTP_PROTOCOL,
)


class BenchError(RuntimeError):
    """A benchmark could not run (a missing tool, a server that did not start)."""


def free_port() -> int:
    """An unused TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(factory: str, env: dict[str, str], log: Path | None = None) -> Iterator[str]:
    """Run `uvicorn --factory FACTORY` with the bench's fixed settings; yield its base URL.

    The server's output goes to a file (a pipe nobody reads would fill up and stall the
    server once it logs enough).
    """
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        *UVICORN_ARGS,
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = log or Path(tmp) / "server.log"
        with path.open("wb") as out:
            proc = subprocess.Popen(
                cmd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
            )
            base = f"http://127.0.0.1:{port}"
            try:
                _wait_ready(base, proc, path)
                yield base
            finally:
                stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a process we started, killing it if it does not stop in time."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise BenchError("server did not become ready in 60 s")


@dataclass
class LoadResult:
    """What the load tool measured."""

    requests_per_second: float
    requests: int
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int


def wrk(
    url: str,
    seconds: float,
    connections: int,
    threads: int,
    script: str | None = None,
) -> LoadResult:
    """Drive `url` with wrk and parse its report."""
    binary = shutil.which("wrk")
    if binary is None:
        raise BenchError("wrk is not installed (Debian: apt-get install wrk)")
    with tempfile.TemporaryDirectory() as tmp:
        duration = max(1, round(seconds))  # wrk takes whole seconds
        cmd = [
            binary,
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{duration}s",
            "--latency",
            "--timeout",
            "10s",
        ]
        if script is not None:
            path = Path(tmp) / "load.lua"
            path.write_text(script)
            cmd += ["-s", str(path)]
        out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    return _parse_wrk(out)


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _parse_wrk(out: str) -> LoadResult:
    def pct(p: str) -> float:
        m = re.search(rf"^\s+{p}%\s+(\S+)", out, re.M)
        return _ms(m.group(1)) if m else float("nan")

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return LoadResult(
        requests_per_second=rps,
        requests=total,
        p50_ms=pct(50),
        p99_ms=pct(99),
        non_2xx=int(non2xx.group(1)) if non2xx else 0,
        errors=sum(int(g) for g in errors.groups()) if errors else 0,
    )


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
    }


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process (this one by default), in MB."""
    status = Path(f"/proc/{pid or os.getpid()}/status").read_text()
    kb = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]
    return kb / 1024


def median(values: list[float]) -> float:
    """The median (the mean of the middle two for an even count)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile by the nearest-rank method."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Target:
    """A quality bar: `value` must be `op` (>=, <=, <) the bound."""

    bound: float
    op: str

    def met(self, value: float) -> bool:
        """Whether a measured value meets the bar."""
        if value != value:  # NaN: not measured
            return False
        return {">=": value >= self.bound, "<=": value <= self.bound, "<": value < self.bound}[
            self.op
        ]

    def __str__(self) -> str:
        return f"{self.op} {self.bound:g}"


@dataclass
class Report:
    """What a benchmark measured: ratios (against same-run baselines), figures, targets."""

    ratios: dict[str, float]
    figures: dict[str, object]
    targets: dict[str, Target]

    def merge(self, other: Report) -> None:
        """Add another benchmark's results."""
        self.ratios.update(other.ratios)
        self.figures.update(other.figures)
        self.targets.update(other.targets)

    def value(self, name: str) -> float:
        """A ratio or a numeric figure by name."""
        found = self.ratios.get(name, self.figures.get(name, float("nan")))
        return float(found) if isinstance(found, int | float) else float("nan")

    def passed(self) -> dict[str, bool]:
        """Each target, met or not."""
        return {name: target.met(self.value(name)) for name, target in self.targets.items()}


def empty_report() -> Report:
    """A report with nothing in it yet."""
    return Report({}, {}, {})
