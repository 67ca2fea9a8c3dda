"""The ledger view: one leaf per event in log order, subtrees kept, a signed head every N."""

from __future__ import annotations

import base64

import pytest

from application.audit.errors import SigningUnavailableError
from application.audit.heads import all_heads
from application.audit.service import AuditLedger
from application.ledger.merkle import MerkleLog
from application.ledger.signing import verify_tree_head
from application.persistence.store import parse_url
from application.projections.digests import event_leaf_hash
from application.projections.ledger import LEAVES_TABLE, ledger_of
from application.system import System
from tests.application.audit.conftest import EVERY, tell_story
from tests.application.audit.tamper import Tamper
from tests.application.story import Story


def _leaves(system: System) -> list[tuple[int, int, bytes]]:
    rows = system.app.db.fetchall(
        f"SELECT leaf_index, position, leaf_hash FROM {LEAVES_TABLE} ORDER BY leaf_index"
    )
    return [(r["leaf_index"], r["position"], bytes(r["leaf_hash"])) for r in rows]


def test_each_event_becomes_the_next_leaf_with_its_canonical_hash(system, story):
    notifications = system.app.recorder.select_notifications(start=1, limit=1000)
    assert _leaves(system) == [
        (i, n.id, event_leaf_hash(n.originator_id, n.originator_version, n.topic, n.state))
        for i, n in enumerate(notifications)
    ]


def test_the_stored_tree_has_the_root_of_the_same_leaves_hashed_in_memory(system, story):
    memory = MerkleLog()
    for _, _, value in _leaves(system):
        memory.append(value)
    ledger = ledger_of(system.views)
    for size in range(memory.size + 1):
        assert ledger.root(system.app.db, size) == memory.root(size)


def test_a_tree_head_is_signed_every_n_events(system, story):
    size = ledger_of(system.views).size(system.app.db)
    heads = all_heads(system.app.db)
    assert [h.tree_size for h in heads] == list(range(EVERY, size + 1, EVERY))
    for head in heads:
        assert verify_tree_head(base64.b64decode(head.public_key), head.head)


def test_tree_heads_carry_the_public_key_of_the_signing_key(system, story, signing_key):
    head = AuditLedger.for_system(system).latest_tree_head()
    raw = base64.b64decode(head["public_key"])
    assert raw == signing_key.public_key().public_bytes_raw()


def test_a_head_is_signed_on_demand_for_the_ledger_as_it_stands(system, story, clock):
    ledger = AuditLedger.for_system(system)
    head = ledger.sign_tree_head()
    assert head["tree_size"] == ledger.size()
    assert head["timestamp"] == clock.now.isoformat(timespec="microseconds")
    assert ledger.latest_tree_head() == head


def test_a_ledger_without_a_key_keeps_leaves_but_signs_nothing(store_url, clock):
    system = System(parse_url(store_url), clock=clock)
    try:
        tell_story(system, clock)
        assert _leaves(system)
        assert all_heads(system.app.db) == []
        with pytest.raises(SigningUnavailableError):
            AuditLedger.for_system(system).sign_tree_head()
    finally:
        system.close()


def test_leaf_indexes_stay_dense_when_log_positions_have_gaps(system, clock):
    story = Story(system.app).register_models()
    tamper = Tamper(system.app)
    gap = tamper.open_gap(width=3)
    story.issue_directive()
    tamper.close_gap(gap)
    system.runner.catch_up()
    leaves = _leaves(system)
    assert [index for index, _, _ in leaves] == [0, 1, 2]
    assert [position for _, position, _ in leaves] == [1, 2, 6]


def test_the_ledger_grows_across_runner_batches(store_url, clock, signing_key):
    from tests.application.audit.conftest import signed_system

    system = signed_system(store_url, clock, signing_key)
    system.runner.batch_size = 3
    try:
        tell_story(system, clock)
        size = ledger_of(system.views).size(system.app.db)
        assert size == system.app.max_position()
        assert [h.tree_size for h in all_heads(system.app.db)] == list(range(4, size + 1, 4))
    finally:
        system.close()
