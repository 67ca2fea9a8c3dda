"""Check the stored events against the ledger, its tree heads and the views.

Every leaf is recomputed from the events table as it stands and compared with the leaf the
ledger recorded for that position: a modified, deleted, inserted or reordered event shows as
the first position where the two disagree. The tree recomputed from the events must then
reproduce every stored subtree and the root of every signed tree head, whose signatures are
checked too. Finally every view is rebuilt from the log and its digest compared.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from itertools import takewhile
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from application.audit.events import (
    BATCH,
    Progress,
    RawEvent,
    count_stored_events,
    iter_stored_events,
    no_progress,
)
from application.audit.heads import SignedTreeHead, all_heads
from application.audit.replay import replay
from application.audit.report import VerifyReport
from application.ledger.merkle import EMPTY_ROOT, MerkleLog
from application.ledger.signing import key_id, verify_tree_head
from application.persistence.database import Database
from application.projections.digests import event_leaf_hash
from application.projections.ledger import NODES_TABLE, Leaf, LedgerView, iter_leaves

if TYPE_CHECKING:
    from application.system import System

UNREADABLE = b"\xff" * 32  # stands for an event that cannot be hashed; matches no real leaf


class _RecordingStore:
    """A SubtreeStore that only remembers the nodes completed since the last `take()`."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}

    def get(self, level: int, index: int) -> bytes | None:
        return self.nodes.get((level, index))

    def put(self, level: int, index: int, hash_: bytes) -> None:
        if level > 0:
            self.nodes[(level, index)] = hash_

    def take(self) -> dict[tuple[int, int], bytes]:
        nodes, self.nodes = self.nodes, {}
        return nodes


class _Checker:
    """Walks the events and the stored leaves side by side, by position."""

    def __init__(self, db: Database, heads: list[SignedTreeHead], report: VerifyReport) -> None:
        self.db = db
        self.heads = heads
        self.next_head = 0
        self.report = report
        self.store = _RecordingStore()
        self.tree = MerkleLog(self.store)
        # (leaf index, position) of the first event after the last head that matched
        self.segment_start: tuple[int, int] | None = None
        self.leaves_seen = 0
        self.subtree_reported = False

    def event(self, event: RawEvent, stored: Leaf | None) -> None:
        self.leaves_seen += stored is not None
        if self.segment_start is None:
            self.segment_start = (self.tree.size, event.position)
        try:
            value = event_leaf_hash(
                event.originator_id, event.originator_version, event.topic, event.state
            )
        except (ValueError, TypeError) as e:
            self.report.add("modified", event.position, f"the stored event cannot be hashed: {e}")
            value = UNREADABLE
        if stored is None:
            self.report.add(
                "inserted",
                event.position,
                "an event the ledger never recorded is stored here",
            )
        elif stored.hash != value and value is not UNREADABLE:
            self.report.add(
                "modified",
                event.position,
                f"the stored event differs from ledger leaf {stored.index}",
            )
        self.tree.append(value)
        self.report.events_checked += 1
        self.heads_at(self.tree.size)
        if self.tree.size % BATCH == 0:
            self.flush()

    def deleted(self, stored: Leaf) -> None:
        self.leaves_seen += 1
        self.report.add(
            "deleted",
            stored.position,
            f"ledger leaf {stored.index} has no stored event",
        )

    def heads_at(self, size: int) -> None:
        """Check every stored head of this size against the recomputed root."""
        while self.next_head < len(self.heads) and self.heads[self.next_head].tree_size == size:
            head = self.heads[self.next_head]
            root = self.tree.root() if size else EMPTY_ROOT
            if head.root_hash == root.hex():
                self.segment_start = None
            else:
                leaf, first = self.segment_start or (size, None)
                self.report.add(
                    "tree-head",
                    first,
                    f"the tree head of size {size} ({head.head.timestamp}) does not match the "
                    f"stored events: they differ at or after leaf {leaf} (position {first})",
                )
            self.next_head += 1

    def flush(self) -> None:
        """Compare the subtrees completed since the last flush with the stored ones."""
        nodes = self.store.take()
        if self.subtree_reported or not nodes:
            return
        by_level: dict[int, list[int]] = {}
        for level, index in nodes:
            by_level.setdefault(level, []).append(index)
        for level, indexes in sorted(by_level.items()):
            rows = self.db.fetchall(
                f"SELECT idx, hash FROM {NODES_TABLE} WHERE lvl=? AND idx>=? AND idx<=?",
                (level, min(indexes), max(indexes)),
            )
            stored = {int(r["idx"]): bytes(r["hash"]) for r in rows}
            for index in sorted(indexes):
                if stored.get(index) != nodes[(level, index)]:
                    self.subtree_reported = True
                    self.report.add(
                        "subtree",
                        None,
                        f"stored subtree (level {level}, index {index}) does not match "
                        "the tree recomputed from the events",
                    )
                    return

    def finish(self) -> None:
        self.flush()
        for head in self.heads[self.next_head :]:
            self.report.add(
                "tree-head",
                None,
                f"the tree head of size {head.tree_size} covers more events than the "
                f"{self.tree.size} stored in the ledger's range",
            )


def _keyring(public_keys: Sequence[bytes]) -> dict[str, bytes]:
    return {key_id(Ed25519PublicKey.from_public_bytes(raw)): raw for raw in public_keys}


def _check_signatures(
    heads: list[SignedTreeHead], public_keys: Sequence[bytes], report: VerifyReport
) -> None:
    trusted = _keyring(public_keys)
    for head in heads:
        report.heads_checked += 1
        if trusted and head.head.key_id not in trusted:
            report.add(
                "signature",
                None,
                f"the tree head of size {head.tree_size} is signed by key {head.head.key_id[:16]}, "
                "which is not a trusted key",
            )
            continue
        try:
            raw = trusted.get(head.head.key_id) or base64.b64decode(head.public_key, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if not verify_tree_head(raw, head.head):
            report.add(
                "signature",
                None,
                f"the tree head of size {head.tree_size} ({head.head.timestamp}) "
                "has an invalid signature",
            )


def _check_ledger(
    system: System, report: VerifyReport, public_keys: Sequence[bytes], progress: Progress
) -> None:
    db = system.app.db
    # heads first: any head read is then covered by the leaves at the position read next
    heads = all_heads(db)
    ledger_position = int(system.tracking.max_tracking_id(LedgerView.name) or 0)
    _check_signatures(heads, public_keys, report)
    checker = _Checker(db, heads, report)
    checker.heads_at(0)
    leaves = takewhile(lambda leaf: leaf.position <= ledger_position, iter_leaves(db))
    stored = next(leaves, None)
    total = max(ledger_position, 1)
    for event in iter_stored_events(system.app, stop=ledger_position):
        while stored is not None and stored.position < event.position:
            checker.deleted(stored)
            stored = next(leaves, None)
        if stored is not None and stored.position == event.position:
            checker.event(event, stored)
            stored = next(leaves, None)
        else:
            checker.event(event, None)
        if report.events_checked % BATCH == 0:
            progress("verify", event.position, total)
    while stored is not None:
        checker.deleted(stored)
        stored = next(leaves, None)
    checker.finish()
    progress("verify", total, total)
    report.ledger_size = checker.leaves_seen
    report.pending = count_stored_events(system.app, after=ledger_position)


def verify(
    system: System,
    public_key: bytes | Sequence[bytes] | None = None,
    *,
    views: bool = True,
    scratch_url: str | None = None,
    progress: Progress = no_progress,
) -> VerifyReport:
    """Recompute the ledger from the stored events, check every tree head and every view.

    `public_key` (raw 32 bytes, or several after a key rotation) is the trusted key heads must
    be signed with; without it each head is checked against the public key published with it.
    Events recorded after the ledger's last position are counted as pending, not checked.
    """
    report = VerifyReport()
    keys = [public_key] if isinstance(public_key, bytes) else list(public_key or ())
    _check_ledger(system, report, keys, progress)
    if views:
        report.replay = replay(system, scratch_url, progress)
        if report.replay.stopped_at is not None:
            report.add("replay", report.replay.stopped_at, report.replay.first_difference or "")
        for digest in report.replay.views:
            if not digest.matches:
                report.add(
                    "view",
                    None,
                    f"{digest.difference} (replayed to position {digest.position})",
                )
    return report
