"""The scheduler: writes down what time alone has done (expiries, lapsed deadlines).

It finds due work through the catalog view rather than by scanning the log, and is safe to
run in several workers at once: a lost race or an already-recorded fact is simply skipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, OperationalError

from application.projections.catalog import APPEALS, DIRECTIVES
from application.projections.stamps import stamp
from application.service import Regledger
from domain.actor import SCHEDULER
from domain.appeal import Appeal
from domain.directive import Directive
from domain.errors import DomainError
from domain.events import aware

log = logging.getLogger("regledger.scheduler")

DEADLINE = "respond_by"

DUE_EXPIRIES = (
    f"SELECT id FROM {DIRECTIVES} WHERE rescinded=0 AND expired_recorded=0 "
    "AND expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at, seq"
)
DUE_DEADLINES = (
    f"SELECT id, lapsed FROM {APPEALS} WHERE status IN ('filed', 'negotiating') "
    "AND respond_by <= ? ORDER BY respond_by, seq"
)


@dataclass
class DueReport:
    """What one run recorded: the directives it expired and the appeals whose deadline lapsed."""

    expired: list[UUID] = field(default_factory=list)
    deadlines: list[UUID] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)


def _app_of(target: Any) -> Regledger:
    return target.app if hasattr(target, "app") else target  # type: ignore[no-any-return]


def run_due(target: Any, now: datetime | None = None) -> DueReport:
    """Record `Expired` and `DeadlinePassed` for everything due at `now`, once each."""
    app = _app_of(target)
    now = app.clock() if now is None else aware(now, "now")
    report = DueReport()
    for row in app.db.fetchall(DUE_EXPIRIES, (stamp(now),)):
        position = _record(
            app, UUID(row["id"]), Directive, lambda d: d.record_expiry(SCHEDULER, now)
        )
        if position is not None:
            report.expired.append(UUID(row["id"]))
            report.positions.append(position)
    for row in app.db.fetchall(DUE_DEADLINES, (stamp(now),)):
        if DEADLINE in row["lapsed"]:
            continue
        position = _record(
            app,
            UUID(row["id"]),
            Appeal,
            lambda a: a.record_deadline_passed(SCHEDULER, now, DEADLINE),
        )
        if position is not None:
            report.deadlines.append(UUID(row["id"]))
            report.positions.append(position)
    return report


def _record(
    app: Regledger, aggregate_id: UUID, cls: type[Aggregate], act: Callable[[Any], None]
) -> int | None:
    """Load, act and save one aggregate; None when another worker (or an earlier run) won."""
    try:
        aggregate: Aggregate = app.repository.get(aggregate_id)
    except AggregateNotFoundError:
        return None
    except OperationalError as e:  # the store was busy: the next run tries again
        log.warning("could not read %s now (%s); will retry", aggregate_id, e)
        return None
    if not isinstance(aggregate, cls):
        return None
    try:
        act(aggregate)
    except DomainError as e:
        log.debug("nothing to record for %s: %s", aggregate_id, e)
        return None
    try:
        recordings = app.save(aggregate)
    except IntegrityError:
        log.info("another worker recorded %s first", aggregate_id)
        return None
    except OperationalError as e:  # the store was busy: the next run tries again
        log.warning("could not record %s now (%s); will retry", aggregate_id, e)
        return None
    return max(r.notification.id for r in recordings)


class Scheduler:
    """Runs `run_due` every `interval` seconds in a background thread until stopped."""

    def __init__(self, target: Any, interval: float = 60.0) -> None:
        self.target = target
        self.interval = interval
        self.runs = 0
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the background thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run_due(self.target)
            except Exception as e:  # the thread must survive a passing store error
                self.error = e
                log.exception("scheduler run failed; retrying at the next interval")
            self.runs += 1
            self._stop.wait(self.interval)

    def stop(self) -> None:
        """Stop the background thread and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
