"""The views every store keeps, in the order the runner applies them."""

from __future__ import annotations

from application.projections.access import AccessView
from application.projections.base import View
from application.projections.catalog import CatalogView
from application.projections.history import HistoryView
from application.projections.ledger import LedgerView


def default_views() -> list[View]:
    """A fresh instance of every view."""
    return [HistoryView(), LedgerView(), CatalogView(), AccessView()]
