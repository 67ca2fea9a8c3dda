"""Ledger queries for everyone: the latest signed tree head, inclusion and consistency proofs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from application.audit.heads import SignedTreeHead, latest_head
from application.ledger.merkle import consistency_proof, inclusion_proof, root_hash
from application.persistence.database import Database
from application.projections.ledger import (
    LEAVES_TABLE,
    LedgerView,
    SqlSubtreeStore,
    ledger_of,
    ledger_size,
)
from domain.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from application.system import System


def _natural(value: Any, field: str, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InvalidInputError(f"{field} must be an integer of at least {minimum}", field=field)
    return value


class AuditLedger:
    """Read access to the audit ledger, and signing on demand."""

    def __init__(self, db: Database, view: LedgerView) -> None:
        self.db = db
        self.view = view

    @classmethod
    def for_system(cls, system: System) -> AuditLedger:
        """The ledger of a composed system."""
        return cls(system.app.db, ledger_of(system.views))

    def size(self) -> int:
        """Number of events in the ledger."""
        return self.view.size(self.db)

    def latest_tree_head(self) -> dict[str, Any]:
        """The latest signed tree head, with the signer's public key."""
        head = latest_head(self.db)
        if head is None:
            raise NotFoundError("no tree head has been signed yet", field="tree_head")
        return head.as_dict()

    def sign_tree_head(self) -> dict[str, Any]:
        """Sign a head for the ledger as it stands now (raises SigningUnavailableError)."""
        return self.view.sign_now(self.db).as_dict()

    @staticmethod
    def _default_size(head: SignedTreeHead | None, leaf_index: int, size: int) -> int:
        if head is not None and leaf_index < head.tree_size <= size:
            return head.tree_size
        return size

    def inclusion_proof(self, position: int, tree_size: int | None = None) -> dict[str, Any]:
        """Proof that the event at a log position is a leaf of the tree of `tree_size`.

        Without `tree_size`, the tree of the latest signed head if it covers the event,
        else the whole ledger.
        """
        _natural(position, "position", 1)
        if tree_size is not None:
            _natural(tree_size, "tree_size", 1)
        head = latest_head(self.db) if tree_size is None else None
        with self.db.transaction(commit=False) as cur:
            cur.execute(
                f"SELECT leaf_index, leaf_hash FROM {LEAVES_TABLE} WHERE position=?", (position,)
            )
            row = cur.fetchone()
            size = ledger_size(cur)
            if row is None:
                raise NotFoundError(
                    f"no event at position {position} is in the ledger ({size} events so far)",
                    field="position",
                )
            index = int(row["leaf_index"])
            if tree_size is None:
                tree_size = self._default_size(head, index, size)
            if tree_size > size:
                raise InvalidInputError(
                    f"tree_size {tree_size} exceeds the ledger's {size} events", field="tree_size"
                )
            if index >= tree_size:
                raise InvalidInputError(
                    f"the event at position {position} is leaf {index}, "
                    f"outside a tree of size {tree_size}",
                    field="tree_size",
                )
            store = SqlSubtreeStore(cur)
            path = inclusion_proof(store, index, tree_size)
            root = root_hash(store, tree_size)
        return {
            "leaf_index": index,
            "position": position,
            "leaf_hash": bytes(row["leaf_hash"]).hex(),
            "audit_path": [p.hex() for p in path],
            "tree_size": tree_size,
            "root_hash": root.hex(),
        }

    def consistency_proof(self, first: int, second: int) -> dict[str, Any]:
        """Proof that the tree of size `second` extends the tree of size `first`."""
        _natural(first, "first")
        _natural(second, "second")
        if first > second:
            raise InvalidInputError(
                f"first ({first}) must not exceed second ({second})", field="first"
            )
        with self.db.transaction(commit=False) as cur:
            size = ledger_size(cur)
            if second > size:
                raise InvalidInputError(
                    f"second ({second}) exceeds the ledger's {size} events", field="second"
                )
            store = SqlSubtreeStore(cur)
            proof = consistency_proof(store, first, second)
            first_root, second_root = root_hash(store, first), root_hash(store, second)
        return {
            "first": first,
            "second": second,
            "first_root": first_root.hex(),
            "second_root": second_root.hex(),
            "proof": [p.hex() for p in proof],
        }
