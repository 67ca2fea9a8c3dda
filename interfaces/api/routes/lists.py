"""The register's lists: models, directives and appeals, filtered and paged in creation order.

A page's `next_after`, passed back as `after`, fetches the next page; `null` means no more.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from application.queries.catalog import MAX_LIMIT
from application.queries.reader import DEFAULT_LIMIT
from application.queries.views import AppealSummary, DirectiveSummary, ModelSummary, Page
from interfaces.api.routes.access import At, Reads, view_route

router = APIRouter(tags=["lists"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
# The largest position a store can hold (a signed 64-bit integer in both engines).
After = Annotated[
    int | None,
    Query(ge=0, le=2**63 - 1, description="The `next_after` of the previous page."),
]
Provider = Annotated[
    str | None, Query(max_length=200, description="Only this provider's, e.g. `anthropic`.")
]
DirectiveState = Literal["pending", "in_force", "stayed", "rescinded", "expired"]
AppealStatus = Literal["filed", "negotiating", "decided", "withdrawn"]


@router.get("/v1/models", **view_route(Page[ModelSummary]))
def list_models(
    reads: Reads,
    provider: Provider = None,
    limit: Limit = DEFAULT_LIMIT,
    after: After = None,
) -> Page[ModelSummary]:
    """Models in registration order, optionally of one provider (anyone)."""
    return reads.list_models(provider, limit, after)


@router.get("/v1/directives", **view_route(Page[DirectiveSummary]))
def list_directives(
    reads: Reads,
    provider: Provider = None,
    model_id: Annotated[UUID | None, Query(description="Only those naming this model.")] = None,
    state: Annotated[
        DirectiveState | None, Query(description="Only those in this state at `at`.")
    ] = None,
    at: At = None,
    limit: Limit = DEFAULT_LIMIT,
    after: After = None,
) -> Page[DirectiveSummary]:
    """Directives in issue order, by provider, model and state (judged at `at`) (anyone)."""
    return reads.list_directives(provider, model_id, state, at, limit, after)


@router.get("/v1/appeals", **view_route(Page[AppealSummary]))
def list_appeals(
    reads: Reads,
    directive_id: Annotated[UUID | None, Query(description="Only this directive's.")] = None,
    status: Annotated[AppealStatus | None, Query(description="Only those in this status.")] = None,
    limit: Limit = DEFAULT_LIMIT,
    after: After = None,
) -> Page[AppealSummary]:
    """Appeals in filing order (anyone); a list shows no filing's contents, confidential or not."""
    return reads.list_appeals(directive_id, status, limit, after)
