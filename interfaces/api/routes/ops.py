"""Readiness and Prometheus metrics, for load balancers and monitoring."""

from __future__ import annotations

from typing import Annotated, Literal

from eventsourcing.persistence import PersistenceError
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client.exposition import choose_encoder
from pydantic import BaseModel, Field

from application.system import System
from interfaces.api.auth import get_system
from interfaces.api.observability import Metrics
from interfaces.api.problems import problem, problem_responses

router = APIRouter(tags=["operations"])


class Readiness(BaseModel):
    """The store answers and the projections keep up with the log."""

    status: Literal["ready"] = "ready"
    store: str = Field(description="`memory`, `sqlite` or `postgres`.")
    log_position: int = Field(description="Position of the last event in the log.")
    views_position: int = Field(description="Last position every view has applied.")
    lag: int = Field(description="Events recorded but not yet in every view.")
    max_lag: int = Field(description="The largest lag at which the process counts as ready.")
    following: bool = Field(description="True when this process keeps the views itself.")


def max_lag(request: Request) -> int:
    """The readiness threshold: the `ready_max_lag` setting."""
    return int(request.app.state.settings.ready_max_lag)


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: problem_responses(503)[503] | {"description": "Not ready"}},
)
def readyz(
    request: Request, system: Annotated[System, Depends(get_system)]
) -> Readiness | JSONResponse:
    """Readiness: the store answers and the projections' lag is under the threshold."""
    store = str(system.store.kind)
    try:
        log_position = system.app.max_position()
        views_position = system.runner.position()
    except PersistenceError as e:
        return problem(
            503,
            "store-unavailable",
            "Not ready",
            f"the {store} store did not answer: {e}",
            request.url.path,
            store=store,
        )
    state = Readiness(
        store=store,
        log_position=log_position,
        views_position=views_position,
        lag=max(0, log_position - views_position),
        max_lag=max_lag(request),
        following=system.runner.following,
    )
    if state.lag > state.max_lag:
        return problem(
            503,
            "projection-lag",
            "Not ready",
            f"the views trail the log by {state.lag} events (at most {state.max_lag} allowed)",
            request.url.path,
            **state.model_dump(exclude={"status"}),
        )
    return state


async def get_metrics(request: Request) -> Metrics:
    """The metrics of this app."""
    metrics: Metrics = request.app.state.metrics
    return metrics


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text format, or OpenMetrics if the Accept header asks.",
            "content": {
                "text/plain": {"schema": {"type": "string"}},
                "application/openmetrics-text": {"schema": {"type": "string"}},
            },
        }
    },
)
def metrics(request: Request, registry: Annotated[Metrics, Depends(get_metrics)]) -> Response:
    """Prometheus metrics: requests, latency, commands, log position, projection lag."""
    encode, media_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(registry.registry), media_type=media_type)
