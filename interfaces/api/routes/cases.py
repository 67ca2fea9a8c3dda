"""The docket: open appeals with their directive, negotiation round and deadlines."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from application.queries.views import Case
from domain.events import aware
from interfaces.api.routes.access import At, Reads, view_route

router = APIRouter(tags=["lists"])


class Docket(BaseModel):
    """Every open appeal, the most pressing deadline first."""

    at: datetime = Field(description="The time deadlines were judged at.")
    items: list[Case]


@router.get("/v1/cases", **view_route(Docket))
def list_cases(reads: Reads, at: At = None) -> Docket:
    """Open appeals with directive, stay, round, latest proposal and deadlines (anyone)."""
    now = reads.clock() if at is None else aware(at, "at")
    return Docket(at=now, items=reads.list_cases(now))
