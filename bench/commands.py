"""HTTP command throughput against the stack's serial limit (SPEC §10)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from eventsourcing.application import Application

from application.context import CommandContext
from application.persistence.store import library_env, parse_url
from application.principals import PrincipalStore
from application.system import System
from bench.harness import server, wrk
from domain.actor import Actor, Role
from domain.model import Model

PROVIDER = Actor(org="bench-provider", role=Role.PROVIDER)

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
  local body = '{"name":"bench model %(run)s-' .. tid .. '-' .. counter .. '","description":"bench"}'
  return wrk.format("POST", "%(path)s", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer %(token)s"}, body)
end
"""


def _token(url: str) -> str:
    system = System(parse_url(url))
    try:
        return PrincipalStore(system.app.db, system.app.clock).add("bench-provider", "provider")[1]
    finally:
        system.close()


def raw_save_rate(url: str, seconds: float) -> float:
    """The raw library saving the same aggregate (a registered model) on the same store."""
    app: Application[Any] = Application(env=library_env(parse_url(url)))
    try:
        n = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            n += 1
            model = Model(
                provider="bench-raw", name=f"raw model {n}", description="bench",
                actor=PROVIDER, effective_at=app_now(),
            )
            app.save(model)
        return n / (time.perf_counter() - start)
    finally:
        app.close()


def app_now() -> Any:
    """The wall clock, as the application would read it."""
    from application.context import utc_now

    return utc_now()


def run(workdir: Path, seconds: float, database_url: str | None = None) -> dict[str, Any]:
    """Measure commands/s through the HTTP stack, the bare endpoint and the raw save."""
    url = database_url or f"sqlite:///{workdir}/commands.db"
    raw_url = database_url or f"sqlite:///{workdir}/raw.db"
    token = _token(url)
    env = {
        "REGLEDGER_DATABASE_URL": url,
        "REGLEDGER_SIGNING_KEY_PATH": str(workdir / "key.pem"),
    }
    with server("interfaces.api.app:app_from_settings", env) as base:
        warm = POST_SCRIPT % {"path": "/v1/models", "token": token, "run": "warm"}
        wrk(f"{base}/v1/models", 1, 1, 1, warm)
        script = POST_SCRIPT % {"path": "/v1/models", "token": token, "run": "main"}
        real = wrk(f"{base}/v1/models", seconds, 1, 1, script)
    with server("bench.bare:create_bare_async_app", env) as base:
        script = POST_SCRIPT % {"path": "/bare/models", "token": token, "run": "bare"}
        bare = wrk(f"{base}/bare/models", seconds, 1, 1, script)
        script_async = POST_SCRIPT % {"path": "/bare/models-async", "token": token, "run": "a"}
        bare_async = wrk(f"{base}/bare/models-async", seconds, 1, 1, script_async)
    raw = raw_save_rate(raw_url, seconds)
    limit = 1 / (1 / bare.requests_per_second + 1 / raw)
    return {
        "ratios": {
            "http_command_vs_stack_limit": real.requests_per_second / limit,
            "http_command_vs_raw_save": real.requests_per_second / raw,
        },
        "figures": {
            "http_commands_per_s": real.requests_per_second,
            "http_command_p50_ms": real.p50_ms,
            "http_command_p99_ms": real.p99_ms,
            "http_command_non_2xx": real.non_2xx,
            "bare_post_per_s": bare.requests_per_second,
            "bare_post_async_per_s": bare_async.requests_per_second,
            "raw_saves_per_s": raw,
            "stack_serial_limit_per_s": limit,
        },
    }
