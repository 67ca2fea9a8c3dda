"""The audit ledger view: an RFC 9162 Merkle tree over the event log, and its signed heads.

Leaf n is the n-th event of the log (in position order); the leaf table maps leaf index to
log position, because positions can have gaps (PostgreSQL sequences) and differ between
stores. Complete subtree hashes are kept by (level, index), so the root and the proofs of
any tree size cost O(log n) lookups. Signed heads are evidence, not derived data: they are
written by this view but are neither part of its digest nor of the tables it rebuilds.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from application.audit.errors import SigningUnavailableError
from application.audit.heads import CREATE_HEADS, SignedTreeHead, TreeHeadSigner, insert_heads
from application.context import Clock, utc_now
from application.ledger.merkle import MerkleLog, root_hash
from application.persistence.database import Cursor, Database
from application.projections.base import Item, View

LEAVES_TABLE = "regledger_ledger_leaves"
NODES_TABLE = "regledger_ledger_nodes"


class SqlSubtreeStore:
    """merkle.SubtreeStore on the ledger tables, through one cursor (one transaction).

    Writes are held until `flush()`. Level 0 is read from the leaf table; the view writes
    leaves itself (with their positions), so flushing stores interior nodes only.
    """

    def __init__(self, cur: Cursor) -> None:
        self.cur = cur
        self.pending: dict[tuple[int, int], bytes] = {}

    def get(self, level: int, index: int) -> bytes | None:
        """The hash of node (level, index), or None."""
        hit = self.pending.get((level, index))
        if hit is not None:
            return hit
        if level == 0:
            self.cur.execute(
                f"SELECT leaf_hash AS h FROM {LEAVES_TABLE} WHERE leaf_index=?", (index,)
            )
        else:
            self.cur.execute(
                f"SELECT hash AS h FROM {NODES_TABLE} WHERE lvl=? AND idx=?", (level, index)
            )
        row = self.cur.fetchone()
        return None if row is None else bytes(row["h"])

    def put(self, level: int, index: int, hash_: bytes) -> None:
        """Remember a completed node until `flush()`."""
        self.pending[(level, index)] = hash_

    def flush(self) -> None:
        """Write the interior nodes completed since the last flush."""
        rows = [(lvl, idx, h) for (lvl, idx), h in self.pending.items() if lvl > 0]
        self.cur.executemany(f"INSERT INTO {NODES_TABLE} (lvl, idx, hash) VALUES (?,?,?)", rows)
        self.pending.clear()


_SIZE = f"SELECT MAX(leaf_index) AS m FROM {LEAVES_TABLE}"


def _size(row: Any) -> int:
    return 0 if row is None or row["m"] is None else int(row["m"]) + 1


def ledger_size(cur: Cursor) -> int:
    """Number of leaves in the ledger."""
    cur.execute(_SIZE)
    return _size(cur.fetchone())


class LedgerView(View):
    """The Merkle tree over the event log; signs a head every N events when given a signer."""

    name = "view:ledger"
    tables = (LEAVES_TABLE, NODES_TABLE)
    cost = 1.5

    def __init__(self, signer: TreeHeadSigner | None = None) -> None:
        self.signer = signer

    @property
    def portable(self) -> bool:
        """A ledger that signs heads holds this process's signing key."""
        return self.signer is None

    def writes_evidence(self, db: Database, count: int) -> bool:
        """Signed heads are evidence: a batch that signs one must reach the disk."""
        if self.signer is None:
            return False
        size = _size(db.read_single(_SIZE))
        every = self.signer.every
        return (size + count) // every > size // every

    def create_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {LEAVES_TABLE} ("
            "leaf_index INTEGER PRIMARY KEY, "
            "position BIGINT NOT NULL, "
            "leaf_hash BLOB NOT NULL)",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {LEAVES_TABLE}_position "
            f"ON {LEAVES_TABLE} (position)",
            f"CREATE TABLE IF NOT EXISTS {NODES_TABLE} ("
            "lvl INTEGER NOT NULL, "
            "idx BIGINT NOT NULL, "
            "hash BLOB NOT NULL, "
            "PRIMARY KEY (lvl, idx)) WITHOUT ROWID",
            *CREATE_HEADS,
        ]

    def apply(self, cur: Cursor, items: Sequence[Item]) -> None:
        store = SqlSubtreeStore(cur)
        log = MerkleLog(store, ledger_size(cur))
        leaves: list[tuple[int, int, bytes]] = []
        heads: list[SignedTreeHead] = []
        for item in items:
            value = item.leaf_hash
            leaves.append((log.append(value), item.position, value))
            if self.signer is not None and self.signer.due(log.size):
                heads.append(self.signer.sign(log.size, log.root()))
        store.flush()
        cur.executemany(
            f"INSERT INTO {LEAVES_TABLE} (leaf_index, position, leaf_hash) VALUES (?,?,?)",
            leaves,
        )
        insert_heads(cur, heads)

    def digest_queries(self) -> list[str]:
        return [
            f"SELECT leaf_index, position, leaf_hash FROM {LEAVES_TABLE} ORDER BY leaf_index",
            f"SELECT lvl, idx, hash FROM {NODES_TABLE} ORDER BY lvl, idx",
        ]

    # --- reads and on-demand signing -------------------------------------------------------------

    def size(self, db: Database) -> int:
        """Number of leaves in the ledger."""
        with db.transaction(commit=False) as cur:
            return ledger_size(cur)

    def root(self, db: Database, tree_size: int) -> bytes:
        """The root hash of the first tree_size leaves."""
        with db.transaction(commit=False) as cur:
            return root_hash(SqlSubtreeStore(cur), tree_size)

    def sign_now(self, db: Database, tree_size: int | None = None) -> SignedTreeHead:
        """Sign and keep a head for the ledger as it stands (or for an earlier size)."""
        if self.signer is None:
            raise SigningUnavailableError("no signing key is configured for the ledger")
        with db.transaction() as cur:
            size = ledger_size(cur)
            if tree_size is None:
                tree_size = size
            if not 0 <= tree_size <= size:
                raise ValueError(f"tree size {tree_size} is outside the ledger's 0..{size}")
            head = self.signer.sign(tree_size, root_hash(SqlSubtreeStore(cur), tree_size))
            insert_heads(cur, [head])
        return head


def ledger_of(views: Sequence[View]) -> LedgerView:
    """The ledger view among a system's views."""
    for view in views:
        if isinstance(view, LedgerView):
            return view
    raise LookupError("the ledger view is not registered in application.projections.registry")


def enable_signing(
    views: Sequence[View], key: Ed25519PrivateKey, every: int, clock: Clock = utc_now
) -> LedgerView:
    """Give the ledger view its signing key: a head every `every` events, and on demand."""
    ledger = ledger_of(views)
    ledger.signer = TreeHeadSigner(key, every, clock)
    return ledger


def position_row(db: Database, position: int) -> Any:
    """The leaf row (leaf_index, position, leaf_hash) of one log position, or None."""
    return db.fetchone(
        f"SELECT leaf_index, position, leaf_hash FROM {LEAVES_TABLE} WHERE position=?",
        (position,),
    )


@dataclass(frozen=True)
class Leaf:
    """One stored leaf: its index, the log position of its event, and its hash."""

    index: int
    position: int
    hash: bytes


def iter_leaves(db: Database, batch: int = 1000) -> Iterator[Leaf]:
    """Every stored leaf, in leaf order, read in batches."""
    after = -1
    while True:
        rows = db.fetchall(
            f"SELECT leaf_index, position, leaf_hash FROM {LEAVES_TABLE} "
            "WHERE leaf_index > ? ORDER BY leaf_index LIMIT ?",
            (after, batch),
        )
        for r in rows:
            yield Leaf(int(r["leaf_index"]), int(r["position"]), bytes(r["leaf_hash"]))
        if len(rows) < batch:
            return
        after = int(rows[-1]["leaf_index"])
