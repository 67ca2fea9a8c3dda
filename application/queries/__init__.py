"""The read side's query API and the view models it returns."""

from application.queries.reader import KnownAt, Queries
from application.queries.views import (
    AccessDecision,
    AccessTimeline,
    AppealSummary,
    BasisItem,
    Case,
    DirectiveReach,
    DirectiveSummary,
    ModelReach,
    ModelSummary,
    Page,
    ProposalSummary,
    StatusMatrix,
    TimelineInterval,
    WhereRestricted,
)

__all__ = [
    "AccessDecision",
    "AccessTimeline",
    "AppealSummary",
    "BasisItem",
    "Case",
    "DirectiveReach",
    "DirectiveSummary",
    "KnownAt",
    "ModelReach",
    "ModelSummary",
    "Page",
    "ProposalSummary",
    "Queries",
    "StatusMatrix",
    "TimelineInterval",
    "WhereRestricted",
]
