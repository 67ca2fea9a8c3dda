"""Access questions on two time axes, answered from the access view's bitemporal rows.

Each answer reads a handful of rows by index: the model's registration, its mentioned
values known at the position asked, and for each segment the one row whose effective
interval holds `at` and whose recorded interval holds `known_at`. None of it scans history.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from application.persistence.database import Cursor, Database
from application.projections.access import STATUS
from application.projections.access_facts import FACTS, MENTIONS, decode
from application.projections.acts import directive_at
from application.projections.stamps import stamp, unstamp, unstamp_or_none
from application.projections.timeline import AVAILABLE, RESTRICTED, SUSPENDED
from application.queries.views import (
    AccessDecision,
    AccessTimeline,
    BasisItem,
    DirectiveReach,
    ModelReach,
    StatusMatrix,
    TimelineInterval,
    WhereRestricted,
)
from domain.errors import InvalidInputError, NotFoundError
from domain.scope import WILDCARD, Segment
from domain.scope import representative as scope_representative

ROW = "valid_from, valid_to, legal, operational, compliance, since, basis"
VISIBLE = "recorded_from <= ? AND (recorded_to IS NULL OR recorded_to > ?)"


def segment_of(user_class: str, jurisdiction: str) -> Segment:
    """A validated segment, or InvalidInputError naming the bad field."""
    try:
        return Segment(user_class=user_class, jurisdiction=jurisdiction)
    except ValidationError as e:
        field = str(e.errors()[0]["loc"][0]) if e.errors() else "segment"
        raise InvalidInputError(e.errors()[0]["msg"], field=field) from None


def registration(cur: Cursor, model_id: UUID, known_at: int) -> datetime:
    """When the model takes effect; NotFoundError if unknown at `known_at`."""
    cur.execute(
        f"SELECT position, effective_at, name FROM {FACTS} WHERE owner_id=? "
        "ORDER BY position LIMIT 1",
        (str(model_id),),
    )
    row = cur.fetchone()
    if row is None or row["name"] != "Registered" or row["position"] > known_at:
        raise NotFoundError(
            f"no model {model_id} (as known at position {known_at})", field="model_id"
        )
    return unstamp(row["effective_at"])


def check_exists_at(model_id: UUID, registered_at: datetime, at: datetime) -> None:
    """Named rule: a model does not exist before its registration's effective time."""
    if at < registered_at:
        raise NotFoundError(
            f"model {model_id} did not exist at {stamp(at)}: it exists from its registration "
            f"at {stamp(registered_at)}",
            field="at",
            registered_at=stamp(registered_at),
        )


def grid(cur: Cursor, model_id: UUID, known_at: int) -> list[Segment]:
    """The model's segments as known at a position."""
    cur.execute(
        f"SELECT axis, value FROM {MENTIONS} WHERE model_id=? AND position <= ?",
        (str(model_id), known_at),
    )
    classes: set[str] = set()
    places: set[str] = set()
    for row in cur.fetchall():
        (classes if row["axis"] == "user_class" else places).add(row["value"])
    return [Segment(user_class=u, jurisdiction=j) for u in sorted(classes) for j in sorted(places)]


def representative(cur: Cursor, model_id: UUID, segment: Segment, known_at: int) -> Segment:
    """The grid segment that stands for `segment`, by the values mentioned by `known_at`."""
    cur.execute(
        f"SELECT axis FROM {MENTIONS} WHERE model_id=? AND position <= ? AND "
        "((axis='user_class' AND value=?) OR (axis='jurisdiction' AND value=?))",
        (str(model_id), known_at, segment.user_class, segment.jurisdiction),
    )
    axes = {row["axis"] for row in cur.fetchall()}
    classes = {segment.user_class} if "user_class" in axes else set()
    places = {segment.jurisdiction} if "jurisdiction" in axes else set()
    return scope_representative(segment, classes | {WILDCARD}, places | {WILDCARD})


def _row(cur: Cursor, model_id: UUID, segment: Segment, at: datetime, known_at: int) -> Any:
    cur.execute(
        f"SELECT {ROW} FROM {STATUS} WHERE model_id=? AND user_class=? AND jurisdiction=? "
        f"AND valid_from <= ? AND {VISIBLE} ORDER BY valid_from DESC, recorded_from DESC LIMIT 1",
        (str(model_id), segment.user_class, segment.jurisdiction, stamp(at), known_at, known_at),
    )
    row = cur.fetchone()
    if row is None:
        raise NotFoundError(f"no access status for {segment} of model {model_id}", field="model_id")
    return row


def _basis(text: str) -> list[BasisItem]:
    return [BasisItem.model_validate(item) for item in json.loads(text)]


def decide(
    cur: Cursor,
    model_id: UUID,
    asked: Segment,
    grid_segment: Segment,
    at: datetime,
    known_at: int,
) -> AccessDecision:
    """The decision for one segment, read from its representative's row."""
    row = _row(cur, model_id, grid_segment, at, known_at)
    return AccessDecision(
        model_id=model_id,
        user_class=asked.user_class,
        jurisdiction=asked.jurisdiction,
        representative=grid_segment,
        at=at,
        allowed=row["operational"] == AVAILABLE,
        legal_status=row["legal"],
        operational_status=row["operational"],
        compliance=row["compliance"],
        since=unstamp(row["since"]),
        basis=_basis(row["basis"]),
        valid_until=unstamp_or_none(row["valid_to"]),
        position=known_at,
    )


def access_decision(
    db: Database, model_id: UUID, segment: Segment, at: datetime, known_at: int
) -> AccessDecision:
    """What a user in `segment` gets from the model at `at`, as known at `known_at`."""
    with db.transaction(commit=False) as cur:
        check_exists_at(model_id, registration(cur, model_id, known_at), at)
        grid_segment = representative(cur, model_id, segment, known_at)
        return decide(cur, model_id, segment, grid_segment, at, known_at)


def _matrix(cur: Cursor, model_id: UUID, at: datetime, known_at: int) -> list[AccessDecision]:
    check_exists_at(model_id, registration(cur, model_id, known_at), at)
    return [decide(cur, model_id, s, s, at, known_at) for s in grid(cur, model_id, known_at)]


def status_matrix(db: Database, model_id: UUID, at: datetime, known_at: int) -> StatusMatrix:
    """Every grid segment of the model at `at`, as known at `known_at`."""
    with db.transaction(commit=False) as cur:
        segments = _matrix(cur, model_id, at, known_at)
    return StatusMatrix(model_id=model_id, at=at, position=known_at, segments=segments)


def where_restricted(db: Database, model_id: UUID, at: datetime, known_at: int) -> WhereRestricted:
    """The segments the law restricts, and those the provider has suspended."""
    with db.transaction(commit=False) as cur:
        segments = _matrix(cur, model_id, at, known_at)
    return WhereRestricted(
        model_id=model_id,
        at=at,
        position=known_at,
        restricted=[d for d in segments if d.legal_status == RESTRICTED],
        suspended=[d for d in segments if d.operational_status == SUSPENDED],
    )


def directive_reach(
    db: Database, directive_id: UUID, at: datetime, known_at: int
) -> DirectiveReach:
    """Whom the directive hits at `at`: its models × the grid segments its scope covers."""
    with db.transaction(commit=False) as cur:
        cur.execute(
            f"SELECT owner_id, position, effective_at, name, payload FROM {FACTS} "
            "WHERE owner_id=? AND position <= ? ORDER BY position",
            (str(directive_id), known_at),
        )
        facts = [
            decode(r["owner_id"], r["position"], r["effective_at"], r["name"], r["payload"])
            for r in cur.fetchall()
        ]
        if not facts or facts[0].name != "Issued":
            raise NotFoundError(
                f"no directive {directive_id} (as known at position {known_at})",
                field="directive_id",
            )
        state = directive_at(facts, at)
        models = []
        for model_id in sorted(state.model_ids):
            reach = _model_reach(cur, UUID(model_id), state.scope.covers, at, known_at)
            if reach is not None:
                models.append(reach)
    return DirectiveReach(
        directive_id=directive_id,
        reference=state.reference,
        state=state.state_at(at),  # type: ignore[arg-type]
        scope=state.scope,
        at=at,
        position=known_at,
        models=models,
    )


def _model_reach(
    cur: Cursor, model_id: UUID, covers: Any, at: datetime, known_at: int
) -> ModelReach | None:
    try:
        registered_at = registration(cur, model_id, known_at)
    except NotFoundError:
        return None
    if at < registered_at:
        return None
    segments = [
        decide(cur, model_id, s, s, at, known_at)
        for s in grid(cur, model_id, known_at)
        if covers(s)
    ]
    return ModelReach(model_id=model_id, segments=segments)


def access_timeline(db: Database, model_id: UUID, known_at: int) -> AccessTimeline:
    """The model's whole timeline, every segment, as known at `known_at`."""
    with db.transaction(commit=False) as cur:
        registered_at = registration(cur, model_id, known_at)
        cur.execute(
            f"SELECT user_class, jurisdiction, {ROW} FROM {STATUS} WHERE model_id=? AND "
            f"{VISIBLE} ORDER BY user_class, jurisdiction, valid_from",
            (str(model_id), known_at, known_at),
        )
        rows = cur.fetchall()
    intervals = [
        TimelineInterval(
            user_class=r["user_class"],
            jurisdiction=r["jurisdiction"],
            valid_from=unstamp(r["valid_from"]),
            valid_to=unstamp_or_none(r["valid_to"]),
            legal_status=r["legal"],
            operational_status=r["operational"],
            compliance=r["compliance"],
            since=unstamp(r["since"]),
            basis=_basis(r["basis"]),
        )
        for r in rows
    ]
    return AccessTimeline(
        model_id=model_id, registered_at=registered_at, position=known_at, intervals=intervals
    )
