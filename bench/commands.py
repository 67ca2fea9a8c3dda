"""HTTP command throughput against the stack's serial limit (SPEC §10).

Three measurements, each at one client (wrk -c1), interleaved round by round so that all
three see the same machine load, and reported as medians (with a fourth, diagnostic one):

- `http`: POST /v1/models through the real server (a new model name every request);
- `bare`: POST /bare/models on a bare FastAPI app under the same uvicorn settings,
  validating the same body and returning a constant;
- `raw`: the raw library (no HTTP, no views) saving the same aggregate, a registered
  Model, one `save` each, on a store of the same kind with the same library settings;
- `no_views` (diagnostic, SQLite): POST /v1/models through the real server on a store of
  its own with its views' runner stopped, in the same rounds.

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


def measure(
    url: str,
    raw_url: str,
    workdir: Path,
    seconds: float,
    rounds: int,
    suffix: str = "",
    no_views_url: str | None = None,
) -> Report:
    """The three rates on one kind of store, `rounds` times interleaved; medians reported.

    With `no_views_url`, a fourth rate in every round: the real server on a store of its
    own with its views' runner stopped (`REGLEDGER_RUN_PROJECTIONS=false`), a diagnostic of
    what keeping the views current beside the commands costs.
    """
    token = provider_token(url)
    env = {
        "REGLEDGER_DATABASE_URL": url,
        "REGLEDGER_SIGNING_KEY_PATH": str(workdir / "key.pem"),
    }
    http: list[Any] = []
    no_views_runs: list[Any] = []
    bare: list[Any] = []
    raw: list[float] = []
    raw_app: Application[Any] = Application(env=library_env(parse_url(raw_url)))
    try:
        with contextlib.ExitStack() as servers:
            real_base = servers.enter_context(server("interfaces.api.app:app_from_settings", env))
            bare_base = servers.enter_context(server("bench.bare:create_bare_app", env))
            no_views_base, no_views_token = None, ""
            if no_views_url is not None:
                no_views_token = provider_token(no_views_url)
                no_views_env = {
                    **env,
                    "REGLEDGER_DATABASE_URL": no_views_url,
                    "REGLEDGER_RUN_PROJECTIONS": "false",
                }
                no_views_base = servers.enter_context(
                    server("interfaces.api.app:app_from_settings", no_views_env)
                )
                wrk(f"{no_views_base}/v1/models", 1, 1, 1, _script("/v1/models", no_views_token))
            wrk(f"{real_base}/v1/models", 1, 1, 1, _script("/v1/models", token))
            wrk(f"{bare_base}/bare/models", 1, 1, 1, _script("/bare/models", token))
            raw_save_rate(raw_app, 0.5)
            for _ in range(rounds):
                http.append(
                    wrk(f"{real_base}/v1/models", seconds, 1, 1, _script("/v1/models", token))
                )
                if no_views_base is not None:
                    no_views_runs.append(
                        wrk(
                            f"{no_views_base}/v1/models",
                            seconds,
                            1,
                            1,
                            _script("/v1/models", no_views_token),
                        )
                    )
                bare.append(
                    wrk(f"{bare_base}/bare/models", seconds, 1, 1, _script("/bare/models", token))
                )
                raw.append(raw_save_rate(raw_app, seconds))
    finally:
        raw_app.close()
    real_rps = median([r.requests_per_second for r in http])
    bare_rps = median([r.requests_per_second for r in bare])
    raw_rps = median(raw)
    limit = 1 / (1 / bare_rps + 1 / raw_rps)
    report = Report(
        ratios={
            f"http_command_vs_stack_limit{suffix}": _vs_limit(http, bare, raw),
            f"http_command_vs_raw_save{suffix}": median(
                [h.requests_per_second / r for h, r in zip(http, raw, strict=True)]
            ),
        },
        figures={
            f"http_commands_per_s{suffix}": round(real_rps, 1),
            f"http_command_p50_ms{suffix}": median([r.p50_ms for r in http]),
            f"http_command_p99_ms{suffix}": median([r.p99_ms for r in http]),
            f"http_command_failures{suffix}": sum(r.non_2xx + r.errors for r in http),
            f"bare_post_per_s{suffix}": round(bare_rps, 1),
            f"raw_saves_per_s{suffix}": round(raw_rps, 1),
            f"stack_serial_limit_per_s{suffix}": round(limit, 1),
        },
        targets={f"http_command_vs_stack_limit{suffix}": TARGET},
    )
    if no_views_runs:
        report.ratios[f"no_views_command_vs_stack_limit{suffix}"] = _vs_limit(
            no_views_runs, bare, raw
        )
        report.figures[f"no_views_commands_per_s{suffix}"] = round(
            median([n.requests_per_second for n in no_views_runs]), 1
        )
        report.figures[f"no_views_command_p99_ms{suffix}"] = median(
            [n.p99_ms for n in no_views_runs]
        )
        report.figures[f"no_views_command_failures{suffix}"] = sum(
            n.non_2xx + n.errors for n in no_views_runs
        )
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


def diagnose(workdir: Path, seconds: float, limit: float) -> Report:
    """Where the gap to the limit goes: the real app's stack with less and less of its work.

    On a store of its own: a constant behind the real middleware and authentication, and
    the real registration with authentication on the event loop and a single thread-pool
    hop (where the route and each of its `def` dependencies take one hop each).
    """
    url = f"sqlite:///{workdir}/commands-diagnosis.db"
    token = provider_token(url)
    env = {"REGLEDGER_DATABASE_URL": url, "REGLEDGER_SIGNING_KEY_PATH": str(workdir / "key.pem")}
    with server("bench.bare:create_stacked_app", env) as base:
        wrk(f"{base}/bench/stack/register", 1, 1, 1, _script("/bench/stack/register", token))
        constant = wrk(
            f"{base}/bench/stack/models", seconds, 1, 1, _script("/bench/stack/models", token)
        )
        one_hop = wrk(
            f"{base}/bench/stack/register", seconds, 1, 1, _script("/bench/stack/register", token)
        )
    return Report(
        ratios={"one_hop_command_vs_stack_limit": one_hop.requests_per_second / limit},
        figures={
            "stack_constant_post_per_s": constant.requests_per_second,
            "one_hop_commands_per_s": one_hop.requests_per_second,
        },
        targets={},
    )


def run(workdir: Path, seconds: float, rounds: int, database_url: str | None = None) -> Report:
    """SQLite always; PostgreSQL too when `database_url` names a PostgreSQL server."""
    report = measure(
        f"sqlite:///{workdir}/commands.db",
        f"sqlite:///{workdir}/raw-saves.db",
        workdir,
        seconds,
        rounds,
        no_views_url=f"sqlite:///{workdir}/commands-no-views.db",
    )
    limit = float(report.figures["stack_serial_limit_per_s"])  # type: ignore[arg-type]
    report.merge(diagnose(workdir, seconds, limit))
    if database_url and database_url.startswith(("postgresql://", "postgres://")):
        with postgres_databases(database_url, 2) as (url, raw_url):
            report.merge(measure(url, raw_url, workdir, seconds, rounds, "@postgres"))
    return report
