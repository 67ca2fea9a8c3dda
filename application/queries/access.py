"""Access questions on two time axes, answered from the access view.

A decision is worked out (see `decisions.py`) from a few index seeks: the model's
registration and retirement, its mentioned values known at the position asked, the latest
acts covering the segment, and the spans of the directives that list the model. None of it
scans the history of other models, and none of it grows with the log.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from pydantic import ValidationError

from application.persistence.database import Cursor, Database
from application.projections.access_facts import (
    FACTS,
    LINKS,
    MENTIONS,
    RETIREMENTS,
    read_facts,
)
from application.projections.acts import directive_at
from application.projections.stamps import stamp, unstamp, unstamp_or_none
from application.projections.timeline import RESTRICTED, SUSPENDED, ModelFacts, timeline
from application.queries.covering import Act, LoadedActs, StoredActs
from application.queries.decisions import Inputs, Worked, load_spans, work_out
from application.queries.views import (
    AccessDecision,
    AccessTimeline,
    BasisItem,
    Compliance,
    DirectiveReach,
    LegalStatus,
    ModelReach,
    OperationalStatus,
    StatusMatrix,
    TimelineInterval,
    WhereRestricted,
)
from domain.errors import InvalidInputError, NotFoundError
from domain.scope import WILDCARD, Segment
from domain.scope import representative as scope_representative


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


def _retired(cur: Cursor, model_id: UUID, known_at: int) -> Act | None:
    cur.execute(
        f"SELECT position, effective_at FROM {RETIREMENTS} WHERE model_id=? AND position<=?",
        (str(model_id), known_at),
    )
    row = cur.fetchone()
    return None if row is None else Act(row["effective_at"], row["position"], 1)


def inputs(
    cur: Cursor, model_id: UUID, registered_at: datetime, known_at: int, whole: bool
) -> Inputs:
    """What the model's decisions are worked out from; `whole` reads every act at once."""
    key = str(model_id)
    acts = LoadedActs(cur, key, known_at) if whole else StoredActs(cur, key, known_at)
    return Inputs(
        stamp(registered_at),
        _retired(cur, model_id, known_at),
        acts,
        load_spans(cur, key, known_at),
    )


def _act_item(cur: Cursor, model_id: UUID, position: int | None) -> list[dict[str, Any]]:
    """The provider act's basis item (as `acts.act_basis` writes it), read from its fact."""
    if position is None:
        return []
    cur.execute(
        f"SELECT name, effective_at, payload FROM {FACTS} WHERE owner_id=? AND position=?",
        (str(model_id), position),
    )
    row = cur.fetchone()
    data = json.loads(row["payload"])
    return [
        {
            "kind": "provider_act",
            "event": row["name"],
            "effective_at": row["effective_at"],
            "reason": data.get("reason"),
            "directive_id": data.get("directive_id"),
            "appeal_id": data.get("appeal_id"),
            "positions": [position],
        }
    ]


def _basis_items(worked: Worked, act: list[Any]) -> list[BasisItem]:
    items = [item for text in worked.directive_basis for item in json.loads(text)]
    return [BasisItem.model_validate(item) for item in items + act]


def decide(
    cur: Cursor,
    model_id: UUID,
    given: Inputs,
    asked: Segment,
    grid_segment: Segment,
    at: datetime,
    known_at: int,
) -> AccessDecision:
    """The decision for one segment, worked out for its representative."""
    worked = work_out(given, grid_segment.user_class, grid_segment.jurisdiction, stamp(at))
    return AccessDecision(
        model_id=model_id,
        user_class=asked.user_class,
        jurisdiction=asked.jurisdiction,
        representative=grid_segment,
        at=at,
        allowed=worked.operational != SUSPENDED,
        legal_status=cast(LegalStatus, worked.legal),
        operational_status=cast(OperationalStatus, worked.operational),
        compliance=cast(Compliance, worked.compliance),
        since=unstamp(worked.since),
        basis=_basis_items(worked, _act_item(cur, model_id, worked.act)),
        valid_until=unstamp_or_none(worked.valid_until),
        position=known_at,
    )


def access_decision(
    db: Database, model_id: UUID, segment: Segment, at: datetime, known_at: int
) -> AccessDecision:
    """What a user in `segment` gets from the model at `at`, as known at `known_at`."""
    with db.transaction(commit=False) as cur:
        registered_at = registration(cur, model_id, known_at)
        check_exists_at(model_id, registered_at, at)
        grid_segment = representative(cur, model_id, segment, known_at)
        given = inputs(cur, model_id, registered_at, known_at, whole=False)
        return decide(cur, model_id, given, segment, grid_segment, at, known_at)


def _matrix(cur: Cursor, model_id: UUID, at: datetime, known_at: int) -> list[AccessDecision]:
    registered_at = registration(cur, model_id, known_at)
    check_exists_at(model_id, registered_at, at)
    given = inputs(cur, model_id, registered_at, known_at, whole=True)
    return [decide(cur, model_id, given, s, s, at, known_at) for s in grid(cur, model_id, known_at)]


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
        facts = read_facts(cur, str(directive_id), known_at)
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
    given = inputs(cur, model_id, registered_at, known_at, whole=True)
    segments = [
        decide(cur, model_id, given, s, s, at, known_at)
        for s in grid(cur, model_id, known_at)
        if covers(s)
    ]
    return ModelReach(model_id=model_id, segments=segments)


def _model_facts(cur: Cursor, model_id: UUID, known_at: int) -> ModelFacts:
    own = read_facts(cur, str(model_id), known_at)
    facts = ModelFacts(str(model_id), own[0], acts=own[1:])
    cur.execute(
        f"SELECT directive_id FROM {LINKS} WHERE model_id=? AND position<=?",
        (str(model_id), known_at),
    )
    for row in cur.fetchall():
        facts.directives[row["directive_id"]] = read_facts(cur, row["directive_id"], known_at)
    return facts


def access_timeline(db: Database, model_id: UUID, known_at: int) -> AccessTimeline:
    """The model's whole timeline, every segment, as known at `known_at`."""
    with db.transaction(commit=False) as cur:
        registered_at = registration(cur, model_id, known_at)
        segments = grid(cur, model_id, known_at)
        computed = timeline(_model_facts(cur, model_id, known_at), segments, registered_at)
    intervals = [
        TimelineInterval(
            user_class=segment.user_class,
            jurisdiction=segment.jurisdiction,
            valid_from=iv.valid_from,
            valid_to=iv.valid_to,
            legal_status=cast(LegalStatus, iv.legal),
            operational_status=cast(OperationalStatus, iv.operational),
            compliance=cast(Compliance, iv.compliance),
            since=iv.since,
            basis=[BasisItem.model_validate(json.loads(item)) for item in iv.basis],
        )
        for segment in sorted(computed, key=lambda s: (s.user_class, s.jurisdiction))
        for iv in computed[segment]
    ]
    return AccessTimeline(
        model_id=model_id, registered_at=registered_at, position=known_at, intervals=intervals
    )
