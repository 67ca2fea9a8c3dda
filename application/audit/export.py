"""Export the event log as NDJSON, closed by a signed tree head over exactly those events.

One line per event, in log order::

    {"leaf_hash": "<hex>", "originator_id": "<uuid>", "originator_version": 1,
     "position": 7, "state": {...}, "topic": "regledger.model:Registered"}

then a last line ``{"format": "regledger-export-v1", "public_key": "<base64>",
"tree_head": {...}}``. Each leaf hash is recomputed from the stored event and must equal the
ledger's, so a store that no longer matches its ledger is not exported.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from application.audit.errors import ExportError
from application.audit.events import Progress, iter_stored_events, no_progress, running_tree
from application.audit.heads import SignedTreeHead, heads_of_size
from application.ledger.merkle import EMPTY_ROOT
from application.projections.digests import event_leaf_hash
from application.projections.ledger import LedgerView, iter_leaves, ledger_of

if TYPE_CHECKING:
    from application.system import System

FORMAT = "regledger-export-v1"


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote."""

    path: Path
    events: int
    tree_head: SignedTreeHead


def dumps(value: Any) -> str:
    """One compact NDJSON line (keys sorted, UTF-8 kept as is)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _head_for(system: System, ledger: LedgerView, size: int) -> SignedTreeHead:
    """A head over exactly `size` leaves: our own if kept, else a new one, else any kept."""
    heads = heads_of_size(system.app.db, size)
    signer = ledger.signer
    if signer is not None:
        own = [h for h in heads if h.head.key_id == signer.key_id]
        return own[-1] if own else ledger.sign_now(system.app.db, size)
    if heads:
        return heads[-1]
    raise ExportError(
        f"no tree head covers the ledger's {size} events and no signing key is configured"
    )


def _mismatch(position: int) -> ExportError:
    return ExportError(
        f"the stored events do not match the ledger at position {position}; run `regledger verify`"
    )


def _write_events(system: System, out: TextIO, size: int, progress: Progress) -> bytes:
    """Write the ledger's events; return the root recomputed from them."""
    tree = running_tree()
    events = iter_stored_events(system.app)
    for leaf in islice(iter_leaves(system.app.db), size):
        event = next(events, None)
        if event is None or event.position != leaf.position:
            raise _mismatch(leaf.position if event is None else min(event.position, leaf.position))
        try:
            value = event_leaf_hash(
                event.originator_id, event.originator_version, event.topic, event.state
            )
        except (ValueError, TypeError):
            raise _mismatch(event.position) from None
        if value != leaf.hash:
            raise _mismatch(event.position)
        line = {
            "position": event.position,
            "originator_id": event.originator_id,
            "originator_version": event.originator_version,
            "topic": event.topic,
            "state": json.loads(event.state),
            "leaf_hash": value.hex(),
        }
        out.write(dumps(line) + "\n")
        tree.append(value)
        if tree.size % 1000 == 0 or tree.size == size:
            progress("export", tree.size, size)
    if tree.size != size:
        raise ExportError(f"the ledger changed during the export ({tree.size} != {size} events)")
    return tree.root() if size else EMPTY_ROOT


def export_log(system: System, path: Path, progress: Progress = no_progress) -> ExportSummary:
    """Write every event the ledger holds to `path`, with a signed head over exactly them.

    The file appears only once complete (it is written beside `path`, then renamed).
    """
    ledger = ledger_of(system.views)
    size = ledger.size(system.app.db)
    head = _head_for(system, ledger, size)
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            root = _write_events(system, out, size, progress)
            if root.hex() != head.root_hash:
                raise ExportError("the ledger's tree head does not match its events")
            closing = {
                "format": FORMAT,
                "tree_head": head.head.to_dict(),
                "public_key": head.public_key,
            }
            out.write(dumps(closing) + "\n")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return ExportSummary(path, size, head)
