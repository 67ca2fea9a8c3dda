"""The cases view: open appeals with their directive and deadlines, read from the catalog.

A deadline counts as lapsed by time alone (`respond_by` passed while the appeal is open),
before the scheduler writes `DeadlinePassed` into the record.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from application.persistence.database import Database
from application.projections.catalog import APPEALS, DIRECTIVES
from application.projections.stamps import stamp, unstamp, unstamp_or_none
from application.queries.views import Case, ProposalSummary

OPEN = ("filed", "negotiating")

CASES = (
    "SELECT a.id, a.directive_id, a.appellant, a.regulator, a.status, a.stay, a.round, "
    "a.latest_proposal, a.filed_at, a.respond_by, a.lapsed, a.version, "
    "d.reference, d.effective_at, d.expires_at, d.stayed, d.rescinded, d.expired_recorded "
    f"FROM {APPEALS} a JOIN {DIRECTIVES} d ON d.id = a.directive_id "
    "WHERE a.status IN ('filed', 'negotiating') ORDER BY a.respond_by, a.seq"
)


def directive_state(row: Any, now: datetime) -> str:
    """A catalog directive row's state at `now`, honouring expiry by time alone."""
    expires_at = unstamp_or_none(row["expires_at"])
    if row["rescinded"]:
        return "rescinded"
    if row["expired_recorded"] or (expires_at is not None and now >= expires_at):
        return "expired"
    if now < unstamp(row["effective_at"]):
        return "pending"
    return "stayed" if row["stayed"] else "in_force"


def proposal_of(text: str | None) -> ProposalSummary | None:
    """The stored latest proposal as a view model."""
    return None if text is None else ProposalSummary.model_validate(json.loads(text))


def open_cases(db: Database, now: datetime) -> list[Case]:
    """Every open appeal, the most pressing deadline first."""
    cases = []
    for row in db.fetchall(CASES):
        lapsed = json.loads(row["lapsed"])
        cases.append(
            Case(
                appeal_id=row["id"],
                directive_id=row["directive_id"],
                reference=row["reference"],
                directive_state=directive_state(row, now),  # type: ignore[arg-type]
                appellant=row["appellant"],
                regulator=row["regulator"],
                status=row["status"],
                stay=row["stay"],
                round=row["round"],
                latest_proposal=proposal_of(row["latest_proposal"]),
                filed_at=unstamp(row["filed_at"]),
                respond_by=unstamp(row["respond_by"]),
                lapsed_recorded=lapsed,
                deadline_lapsed=bool(lapsed) or stamp(now) >= row["respond_by"],
                version=row["version"],
            )
        )
    return cases
