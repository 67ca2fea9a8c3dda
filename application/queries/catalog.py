"""Lists and single records from the catalog view, paged by creation order."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from application.persistence.database import Database
from application.projections.cases import directive_state, proposal_of
from application.projections.catalog import APPEALS, DIRECTIVE_MODELS, DIRECTIVES, MODELS
from application.projections.stamps import stamp, unstamp, unstamp_or_none
from application.queries.views import AppealSummary, DirectiveSummary, ModelSummary, Page
from domain.errors import InvalidInputError, NotFoundError
from domain.scope import Scope

T = TypeVar("T")

MAX_LIMIT = 500
DIRECTIVE_STATES = ("pending", "in_force", "stayed", "rescinded", "expired")
APPEAL_STATUSES = ("filed", "negotiating", "decided", "withdrawn")

_LIVE = "rescinded=0 AND expired_recorded=0 AND (expires_at IS NULL OR expires_at > ?)"
_STATE_SQL: dict[str, tuple[str, int]] = {
    "rescinded": ("rescinded=1", 0),
    "expired": (
        "rescinded=0 AND (expired_recorded=1 OR (expires_at IS NOT NULL AND expires_at <= ?))",
        1,
    ),
    "pending": (f"{_LIVE} AND effective_at > ?", 2),
    "stayed": (f"{_LIVE} AND effective_at <= ? AND stayed=1", 2),
    "in_force": (f"{_LIVE} AND effective_at <= ? AND stayed=0", 2),
}


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInputError(f"limit must be between 1 and {MAX_LIMIT}", field="limit")


def _page(
    db: Database,
    table: str,
    where: Sequence[str],
    params: Sequence[Any],
    limit: int,
    after: int | None,
    build: Callable[[Any], T],
) -> Page[T]:
    _check_limit(limit)
    clauses = [*where, "seq > ?"]
    rows = db.fetchall(
        f"SELECT * FROM {table} WHERE {' AND '.join(clauses)} ORDER BY seq LIMIT ?",
        (*params, after or 0, limit + 1),
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=[build(r) for r in rows], next_after=rows[-1]["seq"] if more else None)


def _model(row: Any) -> ModelSummary:
    return ModelSummary(
        id=row["id"],
        provider=row["provider"],
        name=row["name"],
        description=row["description"],
        registered_at=unstamp(row["registered_at"]),
        retired=bool(row["retired"]),
        version=row["version"],
        last_position=row["last_position"],
    )


def list_models(
    db: Database, provider: str | None, limit: int, after: int | None
) -> Page[ModelSummary]:
    """Models in registration order, optionally of one provider."""
    where, params = (["provider=?"], [provider]) if provider else ([], [])
    return _page(db, MODELS, where, params, limit, after, _model)


def get_model(db: Database, model_id: UUID) -> ModelSummary:
    """One model as last recorded."""
    row = db.fetchone(f"SELECT * FROM {MODELS} WHERE id=?", (str(model_id),))
    if row is None:
        raise NotFoundError(f"no model {model_id}", field="model_id")
    return _model(row)


def _directive(now: datetime) -> Callable[[Any], DirectiveSummary]:
    def build(row: Any) -> DirectiveSummary:
        return DirectiveSummary(
            id=row["id"],
            reference=row["reference"],
            regulator=row["regulator"],
            provider=row["provider"],
            model_ids=json.loads(row["model_ids"]),
            scope=Scope.model_validate(json.loads(row["scope"])),
            authority=row["authority"],
            grounds=row["grounds"],
            effective_at=unstamp(row["effective_at"]),
            expires_at=unstamp_or_none(row["expires_at"]),
            stayed=bool(row["stayed"]),
            rescinded=bool(row["rescinded"]),
            expired_recorded=bool(row["expired_recorded"]),
            open_appeal_id=row["open_appeal_id"],
            state=directive_state(row, now),  # type: ignore[arg-type]
            version=row["version"],
            last_position=row["last_position"],
        )

    return build


def list_directives(
    db: Database,
    now: datetime,
    provider: str | None,
    model_id: UUID | None,
    state: str | None,
    limit: int,
    after: int | None,
) -> Page[DirectiveSummary]:
    """Directives in issue order, filtered by provider, model and state at `now`."""
    where: list[str] = []
    params: list[Any] = []
    if provider:
        where.append("provider=?")
        params.append(provider)
    if model_id is not None:
        where.append(f"id IN (SELECT directive_id FROM {DIRECTIVE_MODELS} WHERE model_id=?)")
        params.append(str(model_id))
    if state is not None:
        if state not in _STATE_SQL:
            raise InvalidInputError(
                f"state must be one of {', '.join(DIRECTIVE_STATES)}", field="state"
            )
        clause, n = _STATE_SQL[state]
        where.append(clause)
        params += [stamp(now)] * n
    return _page(db, DIRECTIVES, where, params, limit, after, _directive(now))


def get_directive(db: Database, directive_id: UUID, now: datetime) -> DirectiveSummary:
    """One directive as last recorded, with its state at `now`."""
    row = db.fetchone(f"SELECT * FROM {DIRECTIVES} WHERE id=?", (str(directive_id),))
    if row is None:
        raise NotFoundError(f"no directive {directive_id}", field="directive_id")
    return _directive(now)(row)


def _appeal(row: Any) -> AppealSummary:
    return AppealSummary(
        id=row["id"],
        directive_id=row["directive_id"],
        appellant=row["appellant"],
        regulator=row["regulator"],
        status=row["status"],
        stay=row["stay"],
        stay_requested=bool(row["stay_requested"]),
        filed_at=unstamp(row["filed_at"]),
        respond_by=unstamp(row["respond_by"]),
        submissions=row["submissions"],
        round=row["round"],
        latest_proposal=proposal_of(row["latest_proposal"]),
        lapsed=json.loads(row["lapsed"]),
        outcome=row["outcome"],
        version=row["version"],
        last_position=row["last_position"],
    )


def list_appeals(
    db: Database, directive_id: UUID | None, status: str | None, limit: int, after: int | None
) -> Page[AppealSummary]:
    """Appeals in filing order, filtered by directive and status."""
    where: list[str] = []
    params: list[Any] = []
    if directive_id is not None:
        where.append("directive_id=?")
        params.append(str(directive_id))
    if status is not None:
        if status not in APPEAL_STATUSES:
            raise InvalidInputError(
                f"status must be one of {', '.join(APPEAL_STATUSES)}", field="status"
            )
        where.append("status=?")
        params.append(status)
    return _page(db, APPEALS, where, params, limit, after, _appeal)


def get_appeal(db: Database, appeal_id: UUID) -> AppealSummary:
    """One appeal as last recorded."""
    row = db.fetchone(f"SELECT * FROM {APPEALS} WHERE id=?", (str(appeal_id),))
    if row is None:
        raise NotFoundError(f"no appeal {appeal_id}", field="appeal_id")
    return _appeal(row)
