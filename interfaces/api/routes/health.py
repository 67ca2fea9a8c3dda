"""Liveness."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

router = APIRouter(tags=["operations"])


class Liveness(BaseModel):
    """The process is up and serving requests."""

    status: Literal["ok"] = "ok"


@router.get("/healthz", response_model=Liveness)
def healthz() -> Liveness:
    """Liveness: answers while the process serves requests (no store access)."""
    return Liveness()


@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    """The site's front door is the register's pages."""
    return RedirectResponse("/ui", status_code=307)
