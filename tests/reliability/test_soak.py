"""A bounded soak: `wrk` drives mixed reads and writes at `regledger serve` on SQLite over
loopback. No request may fail with a server or socket error, and the server's memory must
stay flat. The figures are printed (and written to $REGLEDGER_SOAK_REPORT when set) for
docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.harness import Server, add_principal, environment, running

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed"),
]

SCRIPT = Path(__file__).with_name("soak.lua")
SECONDS = int(os.environ.get("REGLEDGER_SOAK_SECONDS", "60"))
WARM_UP_SECONDS = 5
THREADS, CONNECTIONS = 2, 8
MODELS = 4  # registered before the soak, so the views hold them; read by the wrk threads
# 409: connections of one thread suspending and restoring the same model race each other.
EXPECTED = {"200", "201", "409"}
MAX_GROWTH = 50 * 2**20


@dataclass
class Soak:
    """The figures of one run."""

    seconds: int
    requests: int
    requests_per_second: float
    statuses: dict[str, int]
    errors: dict[str, int]
    latency_ms: dict[str, float]
    rss_mb: dict[str, float]
    rss_samples_mb: list[float] = field(default_factory=list)


def _wrk(server: Server, seconds: int, args: list[str]) -> dict[str, Any]:
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(SCRIPT),
        server.base_url,
        "--",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("SOAK "))
    return json.loads(line.removeprefix("SOAK "))  # type: ignore[no-any-return]


def _sample(server: Server, every: float, stop: threading.Event, into: list[int]) -> None:
    while not stop.wait(every):
        into.append(server.rss_bytes())


def _mb(n: float) -> float:
    return round(n / 2**20, 1)


def _soak(workdir: Path) -> Soak:
    env = environment(f"sqlite:///{workdir}/soak.db", workdir)
    _, token = add_principal(env, "anthropic", "provider")
    server = Server(env, workdir)
    with running(server), server.client(token) as client:
        models = [
            client.post("/v1/models", json={"name": f"soak target {i}"}).json()["id"]
            for i in range(MODELS)
        ]
        args = [workdir.name, token, *models]
        _wrk(server, WARM_UP_SECONDS, ["warm-up", token, *models])
        start = server.rss_bytes()
        samples: list[int] = []
        stop = threading.Event()
        sampler = threading.Thread(target=_sample, args=(server, 5.0, stop, samples))
        sampler.start()
        try:
            result = _wrk(server, SECONDS, args)
        finally:
            stop.set()
            sampler.join()
        end = server.rss_bytes()
    seconds = result["duration_us"] / 1e6
    return Soak(
        seconds=SECONDS,
        requests=result["requests"],
        requests_per_second=round(result["requests"] / seconds, 1),
        statuses=result["statuses"],
        errors={k: v for k, v in result["errors"].items() if k != "status"},
        latency_ms={k: round(v / 1000, 2) for k, v in result["latency_us"].items()},
        rss_mb={"start": _mb(start), "end": _mb(end), "max": _mb(max([start, end, *samples]))},
        rss_samples_mb=[_mb(s) for s in samples],
    )


@pytest.fixture(scope="module")
def soak(tmp_path_factory: pytest.TempPathFactory) -> Soak:
    """One soak run; its figures printed and, if asked, written out."""
    result = _soak(tmp_path_factory.mktemp("soak"))
    figures = json.dumps(asdict(result), indent=2)
    print(f"\nsoak figures:\n{figures}")
    report = os.environ.get("REGLEDGER_SOAK_REPORT")
    if report:
        Path(report).write_text(figures + "\n")
    return result


def test_soak_meets_no_server_or_socket_error(soak: Soak) -> None:
    assert soak.requests > 0
    assert set(soak.statuses) <= EXPECTED, soak.statuses
    assert soak.errors == dict.fromkeys(soak.errors, 0)


def test_soak_mostly_succeeds(soak: Soak) -> None:
    succeeded = soak.statuses.get("200", 0) + soak.statuses.get("201", 0)

    assert succeeded >= 0.9 * soak.requests


def test_server_memory_stays_flat_under_soak(soak: Soak) -> None:
    growth = (soak.rss_mb["end"] - soak.rss_mb["start"]) * 2**20

    assert growth < MAX_GROWTH, soak.rss_mb
