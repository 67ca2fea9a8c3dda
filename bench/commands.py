"""HTTP command throughput against the stack's serial limit (SPEC §10).

Three measurements, each at one client (wrk -c1), interleaved round by round so that all
three see the same machine load, and reported as medians (with diagnostic ones beside):

- `http`: POST /v1/models through the real server (a new model name every request);
- `bare`: POST /bare/models on a bare FastAPI app under the same uvicorn settings,
  validating the same body and returning a constant;
- `raw`: the raw library (no HTTP, no views) saving the same aggregate, a registered
  Model, one `save` each, on a store of the same kind with the same library settings;
- `no_views` (diagnostic, SQLite): POST /v1/models through the real server on a store of
  its own with its views' runner stopped, in the same rounds (runs half as long);
- `stack_constant` and `one_hop` (diagnostics, SQLite): the real app's middleware and
  commands' dependency around a constant, and the real registration with one thread-pool
  hop, in the same rounds (runs half as long).

The stack's serial limit is `1 / (1/bare + 1/raw)`: a server that adds nothing to either.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.application import Application

from application.context import utc_now
from application.persistence.store import library_env, parse_url
from application.principals import PrincipalStore
from application.system import System
from bench.harness import Report, Target, median, server, wrk
from domain.actor import Actor, Role
from domain.model import Model

PROVIDER = Actor(org="bench-raw", role=Role.PROVIDER)
TARGET = Target(0.7, ">=")

POST_SCRIPT = """
local counter = 0
local id = 0
function setup(thread)
  id = id + 1
  thread:set("tid", id)
end
function init(args)
  tid = tid or 0
end
request = function()
  counter = counter + 1
  local name = "bench model %(run)s-" .. tid .. "-" .. counter
  local body = '{"name":"' .. name .. '","description":"bench"}'
  return wrk.format("POST", "%(path)s", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer %(token)s"}, body)
end
"""


def _script(path: str, token: str) -> str:
    return POST_SCRIPT % {"path": path, "token": token, "run": uuid.uuid4().hex[:10]}


def provider_token(url: str) -> str:
    """A provider's bearer token in the store (the store is created if new)."""
    system = System(parse_url(url))
    try:
        return PrincipalStore(system.app.db, system.app.clock).add("bench-provider", "provider")[1]
    finally:
        system.close()


def raw_save_rate(app: Application[Any], seconds: float) -> float:
    """Saves per second of the raw library: one new registered Model per save."""
    run = uuid.uuid4().hex[:10]
    n = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        n += 1
        model = Model(
            provider=PROVIDER.org,
            name=f"raw model {run}-{n}",
            description="bench",
            actor=PROVIDER,
            effective_at=utc_now(),
        )
        app.save(model)
    return n / (time.perf_counter() - start)


@contextmanager
def postgres_databases(admin_url: str, count: int) -> Iterator[list[str]]:
    """`count` fresh PostgreSQL databases on the server of `admin_url`, dropped afterwards."""
    base = admin_url.rsplit("/", 1)[0]
    names = [f"regledger_bench_{uuid.uuid4().hex[:12]}" for _ in range(count)]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield [f"{base}/{name}" for name in names]
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class _Load:
    """One server's command path driven at one client (wrk -c1), once per round."""

    def __init__(self, base: str, path: str, token: str) -> None:
        self.base, self.path, self.token = base, path, token
        self.runs: list[Any] = []

    def _drive(self, seconds: float) -> Any:
        return wrk(f"{self.base}{self.path}", seconds, 1, 1, _script(self.path, self.token))

    def warm(self) -> None:
        """A short run first, so that the measured rounds meet a warm server."""
        self._drive(1)

    def run(self, seconds: float) -> None:
        """One measured run, kept for the round."""
        self.runs.append(self._drive(seconds))

    def rate(self) -> float:
        """The median rate over the rounds."""
        return round(median([r.requests_per_second for r in self.runs]), 1)

    def failures(self) -> int:
        """Non-2xx answers and socket errors over the rounds."""
        return sum(r.non_2xx + r.errors for r in self.runs)


def measure(
    url: str,
    raw_url: str,
    workdir: Path,
    seconds: float,
    rounds: int,
    suffix: str = "",
    no_views_url: str | None = None,
    stacked_url: str | None = None,
) -> Report:
    """The three rates on one kind of store, `rounds` times interleaved; medians reported.

    With `no_views_url`, a fourth rate in every round, in a run half as long: the real
    server on a store of its own with its views' runner stopped
    (`REGLEDGER_RUN_PROJECTIONS=false`), a diagnostic of what keeping the views current
    beside the commands costs. With `stacked_url`, two more in every round, half as long,
    on the real app with diagnostic routes (`bench.bare.create_stacked_app`) on a store of
    its own: a constant behind the real
    middleware and the commands' dependency, and the real registration with
    authentication on the event loop and a single thread-pool hop.
    """
    token = provider_token(url)
    env = {
        "REGLEDGER_DATABASE_URL": url,
        "REGLEDGER_SIGNING_KEY_PATH": str(workdir / "key.pem"),
    }
    raw: list[float] = []
    raw_app: Application[Any] = Application(env=library_env(parse_url(raw_url)))
    try:
        with contextlib.ExitStack() as servers:
            real_base = servers.enter_context(server("interfaces.api.app:app_from_settings", env))
            bare_base = servers.enter_context(server("bench.bare:create_bare_app", env))
            http = _Load(real_base, "/v1/models", token)
            bare = _Load(bare_base, "/bare/models", token)
            measured = [http, bare]
            no_views: _Load | None = None
            if no_views_url is not None:
                no_views_env = {
                    **env,
                    "REGLEDGER_DATABASE_URL": no_views_url,
                    "REGLEDGER_RUN_PROJECTIONS": "false",
                }
                no_views_base = servers.enter_context(
                    server("interfaces.api.app:app_from_settings", no_views_env)
                )
                no_views = _Load(no_views_base, "/v1/models", provider_token(no_views_url))
            stacked: list[_Load] = []
            if stacked_url is not None:
                stacked_env = {**env, "REGLEDGER_DATABASE_URL": stacked_url}
                stacked_base = servers.enter_context(
                    server("bench.bare:create_stacked_app", stacked_env)
                )
                stacked_token = provider_token(stacked_url)
                stacked = [
                    _Load(stacked_base, "/bench/stack/models", stacked_token),
                    _Load(stacked_base, "/bench/stack/register", stacked_token),
                ]
            diagnostics = [*([] if no_views is None else [no_views]), *stacked]
            for load in [*measured, *diagnostics]:
                load.warm()
            raw_save_rate(raw_app, 0.5)
            for _ in range(rounds):
                for load in measured:
                    load.run(seconds)
                for load in diagnostics:
                    load.run(seconds / 2)
                raw.append(raw_save_rate(raw_app, seconds))
    finally:
        raw_app.close()
    raw_rps = median(raw)
    limit = 1 / (1 / bare.rate() + 1 / raw_rps)
    report = Report(
        ratios={
            f"http_command_vs_stack_limit{suffix}": _vs_limit(http.runs, bare.runs, raw),
            f"http_command_vs_raw_save{suffix}": median(
                [h.requests_per_second / r for h, r in zip(http.runs, raw, strict=True)]
            ),
        },
        figures={
            f"http_commands_per_s{suffix}": http.rate(),
            f"http_command_p50_ms{suffix}": median([r.p50_ms for r in http.runs]),
            f"http_command_p99_ms{suffix}": median([r.p99_ms for r in http.runs]),
            f"http_command_failures{suffix}": http.failures(),
            f"bare_post_per_s{suffix}": bare.rate(),
            f"raw_saves_per_s{suffix}": round(raw_rps, 1),
            f"stack_serial_limit_per_s{suffix}": round(limit, 1),
        },
        targets={f"http_command_vs_stack_limit{suffix}": TARGET},
    )
    if no_views is not None:
        report.ratios[f"no_views_command_vs_stack_limit{suffix}"] = _vs_limit(
            no_views.runs, bare.runs, raw
        )
        report.figures[f"no_views_commands_per_s{suffix}"] = no_views.rate()
        report.figures[f"no_views_command_p99_ms{suffix}"] = median(
            [n.p99_ms for n in no_views.runs]
        )
        report.figures[f"no_views_command_failures{suffix}"] = no_views.failures()
    if stacked:
        constant, one_hop = stacked
        report.ratios[f"one_hop_command_vs_stack_limit{suffix}"] = _vs_limit(
            one_hop.runs, bare.runs, raw
        )
        report.figures[f"stack_constant_post_per_s{suffix}"] = constant.rate()
        report.figures[f"one_hop_commands_per_s{suffix}"] = one_hop.rate()
        report.figures[f"diagnostic_failures{suffix}"] = constant.failures() + one_hop.failures()
    return report


def _vs_limit(runs: list[Any], bare: list[Any], raw: list[float]) -> float:
    """The median over rounds of a rate against that round's stack limit.

    Each round's rates ran back to back under the same machine load: the ratio is taken
    per round, and the median of the rounds' ratios reported.
    """
    return median(
        [
            run.requests_per_second * (1 / b.requests_per_second + 1 / r)
            for run, b, r in zip(runs, bare, raw, strict=True)
        ]
    )


def run(
    workdir: Path,
    seconds: float,
    rounds: int,
    database_url: str | None = None,
    diagnostics: bool = True,
) -> Report:
    """SQLite always; PostgreSQL too when `database_url` names a PostgreSQL server.

    On SQLite the server with its views stopped runs in every round; the routes of
    `bench.bare`'s stacked app (a constant behind the middleware, one hop) only with
    `diagnostics`. On PostgreSQL see `postgres_report`.
    """
    report = measure(
        f"sqlite:///{workdir}/commands.db",
        f"sqlite:///{workdir}/raw-saves.db",
        workdir,
        seconds,
        rounds,
        no_views_url=f"sqlite:///{workdir}/commands-no-views.db",
        stacked_url=f"sqlite:///{workdir}/commands-diagnosis.db" if diagnostics else None,
    )
    if database_url and database_url.startswith(("postgresql://", "postgres://")):
        report.merge(postgres_report(database_url, workdir, seconds, rounds, diagnostics))
    return report


def postgres_report(
    admin_url: str, workdir: Path, seconds: float, rounds: int, diagnostics: bool = True
) -> Report:
    """The commands on fresh databases of the PostgreSQL server of `admin_url` ("@postgres").

    With `diagnostics`, the server with its views stopped runs in every round too, on a
    database of its own: what keeping the views current costs the commands there, where the
    views' work lands on the database server as well as on the interpreter.
    """
    with postgres_databases(admin_url, 3 if diagnostics else 2) as urls:
        url, raw_url, *no_views = urls
        return measure(
            url,
            raw_url,
            workdir,
            seconds,
            rounds,
            "@postgres",
            no_views_url=no_views[0] if no_views else None,
        )
