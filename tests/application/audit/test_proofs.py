"""Inclusion and consistency proofs from the audit service verify, also with hashlib alone."""

from __future__ import annotations

from typing import Any

import pytest

from application.audit.heads import all_heads
from application.audit.service import AuditLedger
from application.ledger import merkle
from domain.errors import InvalidInputError, NotFoundError
from tests.application.ledger.test_audit_doc import doc_section, python_blocks


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    """The verifier published in docs/audit.md."""
    (block,) = python_blocks(doc_section("Verifying with hashlib alone"))
    namespace: dict[str, Any] = {"__name__": "audit_doc"}
    exec(compile(block, "docs/audit.md", "exec"), namespace)
    return namespace


def _h(value: str) -> bytes:
    return bytes.fromhex(value)


def test_every_event_has_an_inclusion_proof_in_the_latest_signed_head(system, story, doc):
    ledger = AuditLedger.for_system(system)
    head = ledger.latest_tree_head()
    positions = [n.id for n in system.app.recorder.select_notifications(start=1, limit=1000)]
    for position in positions[: head["tree_size"]]:
        proof = ledger.inclusion_proof(position)
        assert proof["position"] == position
        assert proof["tree_size"] == head["tree_size"]
        assert proof["root_hash"] == head["root_hash"]
        args = (
            _h(proof["leaf_hash"]),
            proof["leaf_index"],
            proof["tree_size"],
            [_h(p) for p in proof["audit_path"]],
            _h(head["root_hash"]),
        )
        assert merkle.verify_inclusion(*args)
        assert doc["verify_inclusion"](*args)


def test_an_inclusion_proof_can_be_asked_for_any_tree_size_that_holds_the_event(system, story):
    ledger = AuditLedger.for_system(system)
    for tree_size in range(3, ledger.size() + 1):
        proof = ledger.inclusion_proof(3, tree_size)
        assert proof["leaf_index"] == 2
        assert merkle.verify_inclusion(
            _h(proof["leaf_hash"]),
            2,
            tree_size,
            [_h(p) for p in proof["audit_path"]],
            _h(proof["root_hash"]),
        )


def test_consistency_proofs_link_every_pair_of_signed_heads(system, story, doc):
    ledger = AuditLedger.for_system(system)
    sizes = [0] + [h.tree_size for h in all_heads(system.app.db)]
    roots = {h.tree_size: h.root_hash for h in all_heads(system.app.db)}
    for i, first in enumerate(sizes):
        for second in sizes[i:]:
            proof = ledger.consistency_proof(first, second)
            if first:
                assert proof["first_root"] == roots[first]
            if second:
                assert proof["second_root"] == roots[second]
            args = (
                first,
                second,
                _h(proof["first_root"]),
                _h(proof["second_root"]),
                [_h(p) for p in proof["proof"]],
            )
            assert merkle.verify_consistency(*args)
            assert doc["verify_consistency"](*args)


def test_an_inclusion_proof_for_an_unknown_position_is_not_found(system, story):
    ledger = AuditLedger.for_system(system)
    with pytest.raises(NotFoundError):
        ledger.inclusion_proof(system.app.max_position() + 1)


@pytest.mark.parametrize("position", [0, -1, True, "3"])
def test_an_inclusion_proof_needs_a_positive_integer_position(system, story, position):
    with pytest.raises(InvalidInputError):
        AuditLedger.for_system(system).inclusion_proof(position)


def test_an_inclusion_proof_refuses_a_tree_larger_than_the_ledger(system, story):
    ledger = AuditLedger.for_system(system)
    with pytest.raises(InvalidInputError) as caught:
        ledger.inclusion_proof(1, ledger.size() + 1)
    assert caught.value.context["field"] == "tree_size"


def test_an_inclusion_proof_refuses_a_tree_too_small_to_hold_the_event(system, story):
    with pytest.raises(InvalidInputError):
        AuditLedger.for_system(system).inclusion_proof(5, 4)


def test_a_consistency_proof_refuses_a_first_size_above_the_second(system, story):
    with pytest.raises(InvalidInputError):
        AuditLedger.for_system(system).consistency_proof(5, 4)


def test_a_consistency_proof_refuses_a_size_beyond_the_ledger(system, story):
    ledger = AuditLedger.for_system(system)
    with pytest.raises(InvalidInputError):
        ledger.consistency_proof(1, ledger.size() + 1)


def test_the_latest_tree_head_is_not_found_before_any_is_signed(system):
    with pytest.raises(NotFoundError):
        AuditLedger.for_system(system).latest_tree_head()
