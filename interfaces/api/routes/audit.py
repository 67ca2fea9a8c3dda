"""The audit ledger for anyone: the signed tree head, inclusion and consistency proofs.

Hashes are lowercase hex; docs/audit.md shows how to verify them with `hashlib` alone.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from application.audit.service import AuditLedger
from application.system import System
from domain.errors import NotFoundError
from interfaces.api.auth import get_system
from interfaces.api.routes.access import Reads, view_route

router = APIRouter(prefix="/v1/audit", tags=["audit"])

Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="A SHA-256 hash, hex.")]


class TreeHead(BaseModel):
    """A signed statement of the ledger's size and root hash."""

    tree_size: int
    root_hash: Hex
    timestamp: str = Field(description="When it was signed (RFC 3339).")
    signature: str = Field(description="Ed25519 signature, base64 (see docs/audit.md).")
    key_id: str
    public_key: str = Field(description="The signer's Ed25519 public key, base64.")


class InclusionProof(BaseModel):
    """The audit path from the event's leaf to the root of a tree of `tree_size` leaves."""

    position: int = Field(description="The event's position in the log.")
    leaf_index: int
    leaf_hash: Hex
    tree_size: int
    root_hash: Hex
    audit_path: list[Hex]


class ConsistencyProof(BaseModel):
    """The hashes showing that the tree of `second` leaves extends the tree of `first`."""

    first: int
    second: int
    first_root: Hex
    second_root: Hex
    proof: list[Hex]


async def current_ledger(
    system: Annotated[System, Depends(get_system)], reads: Reads
) -> AuditLedger:
    """The ledger, once the views hold the caller's `min_position`."""
    return AuditLedger.for_system(system)


Ledger = Annotated[AuditLedger, Depends(current_ledger)]


@router.get("/tree-head", **view_route(TreeHead))
def tree_head(ledger: Ledger) -> TreeHead:
    """The latest signed tree head; one is signed on demand if none is yet (anyone)."""
    try:
        return TreeHead.model_validate(ledger.latest_tree_head())
    except NotFoundError:
        if ledger.view.signer is None or ledger.size() == 0:
            raise
    return TreeHead.model_validate(ledger.sign_tree_head())


@router.get("/proofs/inclusion", **view_route(InclusionProof))
def inclusion_proof(
    ledger: Ledger,
    position: Annotated[int, Query(ge=1, le=2**63 - 1, description="The event's log position.")],
    tree_size: Annotated[
        int | None,
        Query(ge=1, description="Default: the latest signed head's size if it covers the event."),
    ] = None,
) -> InclusionProof:
    """Proof that the event at a log position is a leaf of the tree of `tree_size` (anyone)."""
    return InclusionProof.model_validate(ledger.inclusion_proof(position, tree_size))


@router.get("/proofs/consistency", **view_route(ConsistencyProof))
def consistency_proof(
    ledger: Ledger,
    first: Annotated[int, Query(ge=0, description="The earlier tree size.")],
    second: Annotated[int, Query(ge=0, description="The later tree size.")],
) -> ConsistencyProof:
    """Proof that the tree of `second` leaves extends the tree of `first` leaves (anyone)."""
    return ConsistencyProof.model_validate(ledger.consistency_proof(first, second))
