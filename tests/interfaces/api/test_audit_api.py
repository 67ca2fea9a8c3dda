"""The audit ledger over HTTP: signed tree heads and proofs anyone can verify."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from application.ledger.merkle import verify_consistency, verify_inclusion
from application.ledger.signing import TreeHead, verify_tree_head
from application.persistence.store import parse_url
from application.projections.ledger import enable_signing
from application.system import System
from tests.conftest import FakeClock
from tests.interfaces.api.conftest import Api, Case

EVERY = 1000  # no head is due during these tests unless one is asked for


@pytest.fixture
def system(store_url: str, clock: FakeClock) -> Iterator[System]:
    """A system whose ledger signs with a fresh key."""
    built = System(parse_url(store_url), clock=clock)
    enable_signing(built.views, Ed25519PrivateKey.generate(), EVERY, clock)
    try:
        yield built
    finally:
        built.close()


def audit(api: Api, path: str, **params: Any) -> dict[str, Any]:
    """An anonymous ledger read once the ledger holds everything recorded so far."""
    response = api.client.get(path, params={"min_position": api.position(), **params})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def h(value: str) -> bytes:
    """Bytes of a hex hash."""
    return bytes.fromhex(value)


def test_a_tree_head_is_signed_on_demand_when_none_exists_yet(api: Api, case: Case) -> None:
    head = audit(api, "/v1/audit/tree-head")

    assert head["tree_size"] == api.position()
    signed = TreeHead(**{k: v for k, v in head.items() if k != "public_key"})
    assert verify_tree_head(base64.b64decode(head["public_key"]), signed)


def test_the_latest_tree_head_is_served_again_rather_than_resigned(api: Api, case: Case) -> None:
    first = audit(api, "/v1/audit/tree-head")

    again = audit(api, "/v1/audit/tree-head")

    assert again == first


def test_an_empty_ledger_has_no_tree_head(api: Api) -> None:
    response = api.get("/v1/audit/tree-head")

    assert response.status_code == 404
    assert response.json()["field"] == "tree_head"


def test_an_inclusion_proof_verifies_against_the_signed_root(api: Api, case: Case) -> None:
    head = audit(api, "/v1/audit/tree-head")

    for position in range(1, api.position() + 1):
        proof = audit(api, "/v1/audit/proofs/inclusion", position=position)

        assert proof["tree_size"] == head["tree_size"]
        assert proof["root_hash"] == head["root_hash"]
        assert verify_inclusion(
            h(proof["leaf_hash"]),
            proof["leaf_index"],
            proof["tree_size"],
            [h(p) for p in proof["audit_path"]],
            h(head["root_hash"]),
        )


def test_an_inclusion_proof_for_an_earlier_tree_verifies_against_its_root(
    api: Api, case: Case
) -> None:
    proof = audit(api, "/v1/audit/proofs/inclusion", position=1, tree_size=3)

    assert proof["tree_size"] == 3
    assert verify_inclusion(
        h(proof["leaf_hash"]),
        proof["leaf_index"],
        3,
        [h(p) for p in proof["audit_path"]],
        h(proof["root_hash"]),
    )


def test_a_consistency_proof_shows_the_later_tree_extends_the_earlier(api: Api, case: Case) -> None:
    old = audit(api, "/v1/audit/tree-head")
    api.ok(f"/v1/appeals/{case.appeal}/withdrawal", {"reason": "settled"}, api.tokens.anthropic)
    size = api.position()

    proof = audit(api, "/v1/audit/proofs/consistency", first=old["tree_size"], second=size)

    assert proof["first_root"] == old["root_hash"]
    assert verify_consistency(
        old["tree_size"],
        size,
        h(old["root_hash"]),
        h(proof["second_root"]),
        [h(p) for p in proof["proof"]],
    )


def test_an_inclusion_proof_for_a_position_not_in_the_ledger_is_404(api: Api, case: Case) -> None:
    response = api.get(f"/v1/audit/proofs/inclusion?position={api.position() + 1}")

    assert response.status_code == 404
    assert response.json()["field"] == "position"


def test_a_consistency_proof_between_sizes_in_the_wrong_order_is_refused(
    api: Api, case: Case
) -> None:
    response = api.get("/v1/audit/proofs/consistency?first=3&second=2")

    assert response.status_code == 422
    assert response.json()["field"] == "first"
