"""Import an export file into an empty store, verifying everything before recording anything.

Every line is checked (fields, types, the recomputed leaf hash, that the event decodes), the
root recomputed over all events must equal the closing tree head's root, and the head's
signature must verify with the public key it names. Only then are the events inserted, in
one transaction, through the library's recorder, keeping aggregate ids, versions, topics and
state; positions are assigned by the target store. The events are held in memory meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Mapper, StoredEvent

from application.audit.errors import AuditError, ImportRefusedError
from application.audit.events import Progress, counting, no_progress, running_tree
from application.audit.export import FORMAT, dumps
from application.audit.heads import SignedTreeHead
from application.ledger.merkle import EMPTY_ROOT
from application.ledger.signing import TreeHead, verify_tree_head
from application.projections.digests import event_leaf_hash
from application.projections.ledger import ledger_of

if TYPE_CHECKING:
    from application.system import System

EVENT_FIELDS = frozenset(
    {"position", "originator_id", "originator_version", "topic", "state", "leaf_hash"}
)
HEAD_FIELDS = frozenset({"format", "tree_head", "public_key"})


@dataclass(frozen=True)
class ImportSummary:
    """What an import recorded, and the head that vouched for it."""

    events: int
    tree_head: SignedTreeHead


def _is_int(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _stored_event(
    n: int, data: dict[str, Any], after: int, mapper: Mapper
) -> tuple[StoredEvent, bytes]:
    """Check one event line; return it ready to insert, with its leaf hash."""
    if set(data) != EVENT_FIELDS:
        raise ImportRefusedError(f"line {n}: expected the fields {sorted(EVENT_FIELDS)}")
    position, version, topic = data["position"], data["originator_version"], data["topic"]
    if not _is_int(position, after + 1):
        raise ImportRefusedError(f"line {n}: positions must increase (after {after})")
    if not _is_int(version, 1) or not isinstance(topic, str) or not topic:
        raise ImportRefusedError(f"line {n}: bad originator_version or topic")
    try:
        originator_id = UUID(str(data["originator_id"]))
        state = dumps(data["state"]).encode("utf-8")
        leaf = event_leaf_hash(originator_id, version, topic, state)
    except ValueError as e:
        raise ImportRefusedError(f"line {n} (position {position}): {e}") from None
    if data["leaf_hash"] != leaf.hex():
        raise ImportRefusedError(
            f"line {n} (position {position}): the leaf hash does not match the event"
        )
    event = StoredEvent(originator_id, version, topic, state)
    try:
        mapper.to_domain_event(event)
    except Exception as e:  # any failure to decode foreign data is a refusal, not a crash
        raise ImportRefusedError(
            f"line {n} (position {position}): the event does not decode: {e}"
        ) from None
    return event, leaf


def _tree_head(n: int, data: dict[str, Any]) -> tuple[SignedTreeHead, bytes]:
    """Check the closing line's shape; return its head and raw public key."""
    if set(data) != HEAD_FIELDS or data["format"] != FORMAT:
        raise ImportRefusedError(f"line {n}: not a {FORMAT} tree head line")
    try:
        head = TreeHead(**data["tree_head"])
        raw_key = base64.b64decode(data["public_key"], validate=True)
    except (TypeError, ValueError, binascii.Error) as e:
        raise ImportRefusedError(f"line {n}: malformed tree head: {e}") from None
    return SignedTreeHead(head, data["public_key"]), raw_key


def _check_head(
    head: SignedTreeHead, raw_key: bytes, count: int, root: bytes, trusted: bytes | None
) -> None:
    if head.tree_size != count:
        raise ImportRefusedError(
            f"the file holds {count} events but its tree head covers {head.tree_size}"
        )
    if head.root_hash != root.hex():
        raise ImportRefusedError("the events do not hash to the tree head's root")
    if not verify_tree_head(raw_key, head.head):
        raise ImportRefusedError("the tree head's signature does not verify with its key")
    if trusted is not None and raw_key != trusted:
        raise ImportRefusedError(
            f"the tree head is signed by key {head.head.key_id[:16]}, not the one required"
        )


def read_export(
    path: Path,
    mapper: Mapper,
    trusted_key: bytes | None = None,
    progress: Progress = no_progress,
) -> tuple[list[StoredEvent], SignedTreeHead]:
    """Read and verify a whole export file; raise ImportRefusedError at the first fault."""
    path = Path(path)
    total = max(path.stat().st_size, 1)
    events: list[StoredEvent] = []
    tree, head, raw_key, done, after = running_tree(), None, b"", 0, 0
    with path.open("rb") as lines:
        for n, raw in enumerate(lines, start=1):
            done += len(raw)
            if head is not None:
                raise ImportRefusedError(f"line {n}: nothing may follow the tree head")
            try:
                data = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise ImportRefusedError(f"line {n}: not a JSON line (truncated?)") from None
            if not isinstance(data, dict):
                raise ImportRefusedError(f"line {n}: not a JSON object")
            if "tree_head" in data:
                head, raw_key = _tree_head(n, data)
                continue
            event, leaf = _stored_event(n, data, after, mapper)
            events.append(event)
            tree.append(leaf)
            after = data["position"]
            if n % 1000 == 0:
                progress("read", done, total)
    progress("read", total, total)
    if head is None:
        raise ImportRefusedError("the file ends without its tree head (truncated?)")
    _check_head(head, raw_key, len(events), tree.root() if events else EMPTY_ROOT, trusted_key)
    return events, head


def import_log(
    system: System,
    path: Path,
    progress: Progress = no_progress,
    trusted_key: bytes | None = None,
) -> ImportSummary:
    """Verify an export file, then record its events in this (empty) store and rebuild views."""
    app = system.app
    ledger = ledger_of(system.views)

    def refuse_unless_empty() -> None:
        held = app.max_position()
        if held or ledger.size(app.db):
            raise ImportRefusedError(
                f"the store is not empty (it holds events up to position {held}); "
                "import only into an empty store"
            )

    refuse_unless_empty()
    events, head = read_export(path, app.mapper, trusted_key, progress)
    refuse_unless_empty()
    progress("import", 0, len(events))
    try:
        app.recorder.insert_events(events)
    except IntegrityError as e:
        raise ImportRefusedError(f"the events clash with each other or the store: {e}") from None
    progress("import", len(events), len(events))
    system.runner.catch_up(progress=counting(progress, "project", len(events)))
    if ledger.size(app.db) < head.tree_size:
        raise AuditError("the ledger has not caught up with the import; run `regledger verify`")
    if ledger.root(app.db, head.tree_size).hex() != head.root_hash:
        raise AuditError("the rebuilt ledger does not match the imported tree head")
    if ledger.signer is not None:
        ledger.sign_now(app.db)
    return ImportSummary(len(events), head)
