"""`python -m bench`: every figure measured beside its baseline in the same run, as ratios.

    python -m bench [--quick] [--json PATH] [--only NAME ...] [--no-fail] [--workdir DIR]

Quick mode uses histories of up to 100,000 events and short load runs; full mode adds the
1,000,000-event history. The exit code is 1 when a target is missed (0 with `--no-fail`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from application.projections.access import AccessView
from bench import access, asof, commands, rebuild, storage
from bench.harness import Report, Target, empty_report, machine
from bench.history import History, events_store

GROUPS = ("commands", "access", "rebuild", "asof", "storage", "scaling")
HISTORY_GROUPS = {"rebuild", "asof", "storage", "scaling"}
RSS_GROWTH_LIMIT_MB = 32.0


@dataclass(frozen=True)
class Mode:
    """How long and how large each measurement is."""

    name: str
    seconds: float
    rounds: int
    sizes: tuple[int, ...]
    questions: int
    # The every-view one-process rebuild, a diagnostic the access-view-alone one bounds
    # more tightly: the full run only, so that a quick run stays under three minutes.
    one_process: bool = True
    # The other diagnostics but the server with its views stopped (the access view rebuilt
    # alone, the stacked app's POST routes, the access check's constant and route): the
    # full run only, for the same reason.
    diagnostics: bool = True


QUICK = Mode("quick", 2.0, 5, (1_000, 10_000, 100_000), 1_500, one_process=False, diagnostics=False)
FULL = Mode("full", 5.0, 5, (1_000, 10_000, 100_000, 1_000_000), 4_000)


def say(message: str) -> None:
    """Progress, on standard error."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def histories(workdir: Path, mode: Mode) -> list[tuple[int, Path, History, rebuild.RebuildResult]]:
    """Each history size generated, then rebuilt into a fresh store (interleaved baseline)."""
    built = []
    for size in mode.sizes:
        say(f"writing a history of {size:,} events")
        history = events_store(workdir / f"events-{size}.db", size)
        views = rebuild.scratch_copy(workdir / f"events-{size}.db", workdir / f"views-{size}.db")
        say(f"rebuilding every view from {size:,} events (raw read-and-decode interleaved)")
        result = rebuild.measure_in_fresh_process(views)
        say(
            f"  {result.rebuild_per_s:,.0f} events/s in {result.processes} processes vs raw "
            f"{result.raw_per_s:,.0f}/s = {result.ratio:.3f}; "
            f"RSS {result.rss_start_mb:.0f} → {result.rss_peak_mb:.0f} MB"
        )
        built.append((size, views, history, result))
    return built


def diagnostic_rebuild(
    workdir: Path, size: int, what: str, scratch: str, views: list[str] | None = None
) -> rebuild.RebuildResult:
    """The largest history rebuilt again in one process (a diagnostic): every view, or only
    `views`. `what` names it in the progress lines."""
    store = rebuild.scratch_copy(workdir / f"events-{size}.db", workdir / scratch)
    say(f"rebuilding {what} from {size:,} events in one process (diagnostic)")
    result = rebuild.measure_in_fresh_process(store, processes=1, views=views)
    say(f"  {result.rebuild_per_s:,.0f} events/s vs raw {result.raw_per_s:,.0f}/s")
    return result


def history_report(
    built: list[tuple[int, Path, History, rebuild.RebuildResult]], mode: Mode, only: set[str]
) -> Report:
    """Rebuild, as-of, storage and scaling figures from the rebuilt histories."""
    report = empty_report()
    size, views, history, largest = built[-1]
    if "rebuild" in only:
        report.merge(
            Report(
                ratios={"rebuild_vs_raw_decode": largest.ratio},
                figures={
                    "rebuild_events": size,
                    "rebuild_processes": largest.processes,
                    "rebuild_worker_start_s": round(largest.start_up_seconds, 2),
                    "rebuild_events_per_s": round(largest.rebuild_per_s),
                    "raw_decode_events_per_s": round(largest.raw_per_s),
                    "rebuild_rss_start_mb": round(largest.rss_start_mb, 1),
                    "rebuild_rss_peak_mb": round(largest.rss_peak_mb, 1),
                    "rebuild_rss_end_mb": round(largest.rss_end_mb, 1),
                    "rebuild_rss_growth_mb": round(largest.rss_growth_mb, 1),
                },
                targets={
                    "rebuild_vs_raw_decode": Target(0.4, ">="),
                    "rebuild_rss_growth_mb": Target(RSS_GROWTH_LIMIT_MB, "<="),
                },
            )
        )
        if mode.diagnostics:
            # The access view is the heavier of the two shares the parallel rebuild makes on
            # two cores: the parallel rebuild cannot run faster than it does alone.
            alone = diagnostic_rebuild(
                views.parent, size, "the access view alone", "views-access.db", [AccessView.name]
            )
            report.ratios["access_view_alone_vs_raw_decode"] = alone.ratio
            report.figures["access_view_alone_events_per_s"] = round(alone.rebuild_per_s)
        if mode.one_process:
            one = diagnostic_rebuild(views.parent, size, "every view", "views-one.db")
            report.ratios["one_process_rebuild_vs_raw_decode"] = one.ratio
            report.figures["one_process_rebuild_events_per_s"] = round(one.rebuild_per_s)
    if only & {"asof", "scaling"}:
        stores = (
            [(p, h) for _, p, h, _ in built]
            if "scaling" in only
            else [(built[0][1], built[0][2]), (views, history)]
        )
        say(f"asking {mode.questions:,} as-of questions of {len(stores)} stores, round robin")
        latencies = asof.measure(stores, mode.questions)
        small, large = latencies[0], latencies[-1]
        if "asof" in only:
            report.merge(
                Report(
                    ratios={"asof_latency_large_vs_small": large.median_us / small.median_us},
                    figures={
                        "asof_large_events": large.events,
                        "asof_small_events": small.events,
                        "asof_large_median_us": round(large.median_us, 1),
                        "asof_small_median_us": round(small.median_us, 1),
                        "asof_large_p99_us": round(large.p99_us, 1),
                        "asof_small_p99_us": round(small.p99_us, 1),
                        "asof_p99_large_vs_small": round(large.p99_us / small.p99_us, 3),
                    },
                    targets={"asof_latency_large_vs_small": Target(2.0, "<=")},
                )
            )
        if "scaling" in only:
            by_size = {lat.events: lat for lat in latencies}
            report.figures["scaling"] = [
                {
                    "events": n,
                    "rebuild_events_per_s": round(r.rebuild_per_s),
                    "rebuild_vs_raw_decode": round(r.ratio, 3),
                    "asof_median_us": round(by_size[n].median_us, 1),
                    "asof_p99_us": round(by_size[n].p99_us, 1),
                }
                for n, _, _, r in built
            ]
    if "storage" in only:
        ours = storage.database_bytes(views)
        raw = storage.database_bytes(views.parent / f"events-{size}.db")
        report.merge(
            Report(
                ratios={"storage_vs_raw_library": ours / raw},
                figures={
                    "storage_events": size,
                    "storage_bytes_per_event": round(ours / size),
                    "raw_library_bytes_per_event": round(raw / size),
                    "storage_largest_tables_mb": {
                        k: round(v / 2**20, 1) for k, v in storage.largest_tables(views).items()
                    },
                },
                targets={},
            )
        )
    return report


def run(mode: Mode, only: set[str], workdir: Path) -> Report:
    """Every selected benchmark, in one report."""
    report = empty_report()
    if "commands" in only:
        say("HTTP commands vs the bare endpoint and the raw library save")
        report.merge(
            commands.run(
                workdir,
                mode.seconds,
                mode.rounds,
                os.environ.get("REGLEDGER_DATABASE_URL"),
                diagnostics=mode.diagnostics,
            )
        )
    if "access" in only:
        say("HTTP access checks at 32 clients vs the bare async endpoint")
        report.merge(access.run(workdir, mode.seconds, mode.rounds, mode.diagnostics))
    if only & HISTORY_GROUPS:
        report.merge(history_report(histories(workdir, mode), mode, only))
    return report


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return json.dumps(value)


def table(report: Report, info: dict[str, Any]) -> str:
    """The report as text: ratios with their targets, then the figures."""
    passed = report.passed()
    lines = [
        f"regledger benchmarks ({info['mode']}) on {info['machine']['cpus']} CPUs, "
        f"{info['machine']['cpu']}, Python {info['machine']['python']}",
        "",
    ]
    lines.append(f"{'ratio / figure':<40} {'value':>12}  {'target':<8} result")
    for name, value in report.ratios.items():
        target = report.targets.get(name)
        verdict = "" if target is None else ("pass" if passed[name] else "MISS")
        lines.append(f"{name:<40} {value:>12.3f}  {str(target or ''):<8} {verdict}")
    for name, target in report.targets.items():
        if name not in report.ratios:
            verdict = "pass" if passed[name] else "MISS"
            lines.append(f"{name:<40} {_number(report.value(name)):>12}  {target!s:<8} {verdict}")
    lines.append("")
    for name, value in report.figures.items():
        if name == "scaling":
            continue
        lines.append(f"  {name:<38} {_number(value)}")
    for row in report.figures.get("scaling", []):  # type: ignore[union-attr]
        lines.append(
            f"  scaling {row['events']:>9,} events: rebuild {row['rebuild_events_per_s']:>7,}/s "
            f"({row['rebuild_vs_raw_decode']:.3f} of raw), as-of median "
            f"{row['asof_median_us']:,.0f} µs, p99 {row['asof_p99_us']:,.0f} µs"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run, print, write JSON; non-zero exit when a target is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="up to 100,000 events, short runs")
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    parser.add_argument("--only", nargs="+", choices=GROUPS, help="run only these")
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even if a target is missed")
    parser.add_argument("--workdir", type=Path, help="keep stores here (reused when present)")
    args = parser.parse_args(argv)
    mode = QUICK if args.quick else FULL
    only = set(args.only or GROUPS)
    started = time.monotonic()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="regledger-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        report = run(mode, only, workdir)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    info = {
        "mode": mode.name,
        "machine": machine(),
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    print(table(report, info))
    passed = report.passed()
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "ratios": report.ratios,
                    "figures": report.figures,
                    "machine": info["machine"],
                    "targets": {name: str(t) for name, t in report.targets.items()},
                    "passed": passed,
                    "mode": mode.name,
                    "elapsed_s": info["elapsed_s"],
                },
                indent=2,
                default=str,
            )
        )
    return 0 if args.no_fail or all(passed.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
