"""Access-check throughput and latency against a bare `async def` endpoint (SPEC §10).

32 concurrent clients (wrk -c32) ask GET /v1/models/{id}/access for a rotation of segments
of the reference story's model, on a store holding the demo story; the baseline is a bare
FastAPI app's `async def` endpoint returning a constant decision, under the same uvicorn
settings. Rounds alternate between the two servers; medians are reported.

Two diagnostic figures attribute the gap: a constant endpoint inside the real app (its
middleware and nothing else), and the same questions with `min_position=0` added, which asks
nothing more but is not the fast lane's request shape: the framework's route answers them
(routing, dependencies, parameter validation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

from application.demo import load_story
from application.persistence.store import parse_url
from application.system import System
from bench.harness import LoadResult, Report, Target, median, server, wrk

CONNECTIONS = 32
THREADS = 2
SEGMENTS = (
    ("foreign_national", "CN"),
    ("foreign_national", "FR"),
    ("domestic", "US"),
    ("foreign_national", "RU"),
    ("enterprise", "DE"),
    ("*", "*"),
)

ROTATE = """
local paths = {%(paths)s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def demo_store(path: Path) -> UUID:
    """A store holding the demo story, its views caught up; returns a model it is about."""
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)  # a workdir kept from an earlier run
    system = System(parse_url(f"sqlite:///{path}"))
    try:
        ids = load_story(system.app)
        system.runner.catch_up()
    finally:
        system.close()
    assert ids.fable is not None
    return ids.fable


def _rotation(path: str, extra: str = "") -> str:
    paths = ",".join(f'"{path}?user_class={u}&jurisdiction={j}{extra}"' for u, j in SEGMENTS)
    return ROTATE % {"paths": paths}


def _load(base: str, path: str, seconds: float, script: str | None = None) -> LoadResult:
    return wrk(f"{base}{path}", seconds, CONNECTIONS, THREADS, script)


def run(workdir: Path, seconds: float, rounds: int, diagnostics: bool = True) -> Report:
    """Access decisions per second over HTTP vs the bare constant endpoint, and latency.

    With `diagnostics`, also the constant behind the real middleware and the questions
    the framework's route answers (see the module's docstring).
    """
    model = demo_store(workdir / "demo.db")
    env = {
        "REGLEDGER_DATABASE_URL": f"sqlite:///{workdir}/demo.db",
        "REGLEDGER_SIGNING_KEY_PATH": str(workdir / "key.pem"),
    }
    real_path = f"/v1/models/{model}/access"
    real_script = _rotation(real_path)
    route_script = _rotation(real_path, "&min_position=0")
    results: dict[str, list[LoadResult]] = {"real": [], "bare": [], "stack": [], "route": []}
    with (
        server("bench.bare:create_stacked_app", env) as real,
        server("bench.bare:create_bare_app", env) as bare,
    ):
        _load(real, real_path, 1, real_script)
        _load(bare, "/bare/access", 1)
        for _ in range(rounds):
            results["real"].append(_load(real, real_path, seconds, real_script))
            results["bare"].append(_load(bare, "/bare/access", seconds))
        for _ in range(max(1, rounds // 2) if diagnostics else 0):
            results["stack"].append(_load(real, "/bench/stack/access", seconds))
            results["route"].append(_load(real, real_path, seconds, route_script))
    rps = {k: median([r.requests_per_second for r in v]) for k, v in results.items() if v}
    real_runs = results["real"]
    figures: dict[str, Any] = {
        "access_checks_per_s": rps["real"],
        "access_check_p50_ms": median([r.p50_ms for r in real_runs]),
        "access_check_p99_ms": median([r.p99_ms for r in real_runs]),
        "access_check_failures": sum(r.non_2xx + r.errors for r in real_runs),
        "bare_get_per_s": rps["bare"],
        "bare_get_p99_ms": median([r.p99_ms for r in results["bare"]]),
    }
    ratios = {
        # Per round (the two ran back to back), then the median of the rounds' ratios.
        "access_check_vs_bare_endpoint": median(
            [
                r.requests_per_second / b.requests_per_second
                for r, b in zip(results["real"], results["bare"], strict=True)
            ]
        ),
    }
    if diagnostics:
        figures["stack_constant_get_per_s"] = rps["stack"]
        figures["route_access_checks_per_s"] = rps["route"]
        figures["route_access_check_p99_ms"] = median([r.p99_ms for r in results["route"]])
        ratios["stack_constant_vs_bare_endpoint"] = rps["stack"] / rps["bare"]
        ratios["route_access_check_vs_bare_endpoint"] = rps["route"] / rps["bare"]
    return Report(
        ratios=ratios,
        figures=figures,
        targets={
            "access_check_vs_bare_endpoint": Target(0.6, ">="),
            "access_check_p99_ms": Target(10.0, "<"),
        },
    )
