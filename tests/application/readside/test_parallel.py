"""Catching the views up in several processes gives the views one process gives."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from application.audit.heads import all_heads
from application.persistence.store import parse_url
from application.projections.access import AccessView
from application.projections.base import View
from application.projections.catalog import CatalogView
from application.projections.history import HistoryView
from application.projections.ledger import LedgerView
from application.projections.parallel import ParallelRunner, WorkerError, plan
from application.projections.registry import default_views
from application.system import System
from tests.application.readside.conftest import rebuilt_digests, view_digests
from tests.application.story import play_every_act


def _names(groups: list[list[View]]) -> list[list[str]]:
    return [[v.name for v in g] for g in groups]


def test_one_process_keeps_every_view() -> None:
    views = default_views()
    assert _names(plan(views, 1)) == [[v.name for v in views]]


def test_views_are_shared_out_by_cost_and_each_is_kept_once() -> None:
    views = default_views()
    groups = plan(views, 2)
    assert sorted(n for g in _names(groups) for n in g) == sorted(v.name for v in views)
    assert len(groups) == 2
    costs = [sum(v.cost for v in g) for g in groups]
    # The costliest view alone on one side, the rest together on the other.
    assert _names(groups)[1] == [AccessView.name] or _names(groups)[0] == [AccessView.name]
    assert abs(costs[0] - costs[1]) <= max(v.cost for v in views)


def test_no_more_groups_than_views() -> None:
    views = [HistoryView(), CatalogView()]
    assert len(plan(views, 8)) == 2


def test_a_ledger_that_signs_stays_in_this_process() -> None:
    signing = LedgerView(signer=object())  # type: ignore[arg-type]
    views = [AccessView(), HistoryView(), signing, CatalogView()]
    for processes in (2, 3, 4):
        assert signing in plan(views, processes)[0]
    assert not signing.portable
    assert LedgerView().portable


def _every_act(store_url: str, clock) -> System:  # type: ignore[no-untyped-def]
    system = System(parse_url(store_url), clock=clock)
    play_every_act(system.app, clock)
    return system


@pytest.mark.parametrize("batch_size", [500, 3])
def test_views_caught_up_in_two_processes_equal_one_process_rebuild(
    store_url, clock, tmp_path, batch_size: int
):
    if store_url.startswith("memory://"):
        pytest.skip("worker processes cannot open an in-memory store")
    system = _every_act(store_url, clock)
    system.runner.batch_size = batch_size
    try:
        with ParallelRunner(system.runner, system.store, 2) as parallel:
            assert len(parallel.pids) == 1 and os.getpid() not in parallel.pids
            passed = parallel.catch_up()
            assert passed == system.app.max_position() > 0
            assert parallel.position() == system.app.max_position()
        assert system.runner.position() == system.app.max_position()
        live = view_digests(system.app.db, system.views)
        assert live == rebuilt_digests(system, tmp_path / "serial.db", clock)
    finally:
        system.close()


def test_zero_processes_means_one_per_core(store_url, clock):
    if store_url.startswith("memory://"):
        pytest.skip("worker processes cannot open an in-memory store")
    system = System(parse_url(store_url), clock=clock)
    try:
        with ParallelRunner(system.runner, system.store, 0) as parallel:
            cores = os.cpu_count() or 1
            assert 1 + len(parallel.pids) == min(cores, len(system.views))
    finally:
        system.close()


def test_on_a_memory_store_every_view_stays_in_this_process(store_url, clock):
    if not store_url.startswith("memory://"):
        pytest.skip("only an in-memory store cannot be shared")
    system = _every_act(store_url, clock)
    try:
        with ParallelRunner(system.runner, system.store, 2) as parallel:
            assert parallel.pids == []
            assert parallel.catch_up() == system.app.max_position()
        assert system.runner.position() == system.app.max_position()
    finally:
        system.close()


def test_a_rebuild_stopped_part_way_resumes_where_each_view_stopped(store_url, clock, tmp_path):
    if store_url.startswith("memory://"):
        pytest.skip("worker processes cannot open an in-memory store")
    system = _every_act(store_url, clock)
    system.runner.batch_size = 4
    try:
        with ParallelRunner(system.runner, system.store, 2) as parallel:
            assert parallel.run_once() == 4
            assert parallel.run_once() == 4
            assert parallel.position() == 8
        assert system.runner.position() == 8
        system.runner.catch_up()  # one process finishes what two began
        live = view_digests(system.app.db, system.views)
        assert live == rebuilt_digests(system, tmp_path / "serial.db", clock)
    finally:
        system.close()


def test_tree_heads_are_signed_by_this_process_over_the_ledger_it_keeps(store_url, clock):
    if store_url.startswith("memory://"):
        pytest.skip("worker processes cannot open an in-memory store")
    key = Ed25519PrivateKey.generate()
    system = System(parse_url(store_url), clock=clock, signing_key=key, tree_head_every=5)
    play_every_act(system.app, clock)
    try:
        with ParallelRunner(system.runner, system.store, 2) as parallel:
            assert LedgerView.name in [v.name for v in parallel.runner.views]
            parallel.catch_up()
        ledger = next(v for v in system.views if isinstance(v, LedgerView))
        heads = all_heads(system.app.db)
        end = system.app.max_position()
        assert [h.tree_size for h in heads] == list(range(5, end + 1, 5))
        for head in heads:
            assert head.root_hash == ledger.root(system.app.db, head.tree_size).hex()
    finally:
        system.close()


def test_a_worker_that_fails_fails_the_rebuild_with_its_reason(tmp_path, clock):
    system = System(parse_url(f"sqlite:///{tmp_path}/live.db"), clock=clock)
    unreachable = parse_url(f"sqlite:///{tmp_path}")  # a directory, not a database
    try:
        with pytest.raises(WorkerError, match="failed"):
            ParallelRunner(system.runner, unreachable, 2)
    finally:
        system.close()
