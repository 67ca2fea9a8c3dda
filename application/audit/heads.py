"""Signed tree heads: the signer, the table that keeps every head, and reads of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from application.context import Clock, utc_now
from application.ledger.signing import TreeHead, key_id, public_key_b64, sign_tree_head
from application.persistence.database import Cursor, Database

HEADS_TABLE = "regledger_tree_heads"

CREATE_HEADS = [
    f"CREATE TABLE IF NOT EXISTS {HEADS_TABLE} ("
    "head_id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "tree_size BIGINT NOT NULL, "
    "root_hash TEXT NOT NULL, "
    "signed_at TEXT NOT NULL, "
    "key_id TEXT NOT NULL, "
    "public_key TEXT NOT NULL, "
    "signature TEXT NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {HEADS_TABLE}_size ON {HEADS_TABLE} (tree_size)",
]

_COLUMNS = "tree_size, root_hash, signed_at, key_id, public_key, signature"


@dataclass(frozen=True)
class SignedTreeHead:
    """A tree head as published: the signed statement plus the signer's public key."""

    head: TreeHead
    public_key: str

    @property
    def tree_size(self) -> int:
        """Number of leaves the head covers."""
        return self.head.tree_size

    @property
    def root_hash(self) -> str:
        """Root hash of those leaves, lowercase hex."""
        return self.head.root_hash

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: tree_size, root_hash, timestamp, key_id, signature, public_key."""
        return {**self.head.to_dict(), "public_key": self.public_key}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignedTreeHead:
        """The inverse of `as_dict` (raises KeyError/TypeError on a malformed dict)."""
        head = TreeHead(
            tree_size=data["tree_size"],
            root_hash=data["root_hash"],
            timestamp=data["timestamp"],
            key_id=data["key_id"],
            signature=data["signature"],
        )
        return cls(head, data["public_key"])


class TreeHeadSigner:
    """Signs tree heads with the ledger key: whenever the tree reaches a multiple of `every`."""

    def __init__(self, key: Ed25519PrivateKey, every: int = 100, clock: Clock = utc_now) -> None:
        if every < 1:
            raise ValueError("a tree head must be signed at least every 1 event")
        self.key = key
        self.every = every
        self.clock = clock
        self.public_key = public_key_b64(key.public_key())
        self.key_id = key_id(key.public_key())

    def due(self, tree_size: int) -> bool:
        """True when a tree of this size gets a head as it is reached."""
        return tree_size > 0 and tree_size % self.every == 0

    def sign(self, tree_size: int, root: bytes) -> SignedTreeHead:
        """Sign (tree_size, root) now."""
        return SignedTreeHead(
            sign_tree_head(self.key, tree_size, root, self.clock()), self.public_key
        )


def insert_heads(cur: Cursor, heads: list[SignedTreeHead]) -> None:
    """Keep signed heads (inside the caller's transaction)."""
    cur.executemany(
        f"INSERT INTO {HEADS_TABLE} ({_COLUMNS}) VALUES (?,?,?,?,?,?)",
        [
            (
                h.tree_size,
                h.root_hash,
                h.head.timestamp,
                h.head.key_id,
                h.public_key,
                h.head.signature,
            )
            for h in heads
        ],
    )


def _from_row(row: Any) -> SignedTreeHead:
    head = TreeHead(
        tree_size=int(row["tree_size"]),
        root_hash=row["root_hash"],
        timestamp=row["signed_at"],
        key_id=row["key_id"],
        signature=row["signature"],
    )
    return SignedTreeHead(head, row["public_key"])


def latest_head(db: Database) -> SignedTreeHead | None:
    """The head of the largest tree signed so far (the most recent one among equals)."""
    row = db.fetchone(
        f"SELECT {_COLUMNS} FROM {HEADS_TABLE} ORDER BY tree_size DESC, head_id DESC LIMIT 1"
    )
    return None if row is None else _from_row(row)


def heads_of_size(db: Database, tree_size: int) -> list[SignedTreeHead]:
    """Every head signed for exactly this tree size, oldest first."""
    rows = db.fetchall(
        f"SELECT {_COLUMNS} FROM {HEADS_TABLE} WHERE tree_size=? ORDER BY head_id", (tree_size,)
    )
    return [_from_row(r) for r in rows]


def all_heads(db: Database) -> list[SignedTreeHead]:
    """Every head kept, by tree size then signing order (one per N events: small enough)."""
    rows = db.fetchall(f"SELECT {_COLUMNS} FROM {HEADS_TABLE} ORDER BY tree_size, head_id")
    return [_from_row(r) for r in rows]
