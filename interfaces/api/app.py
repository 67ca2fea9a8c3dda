"""The FastAPI application factory: one System per process, built in the lifespan."""

from __future__ import annotations

import gc
import importlib
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig

from application.principals import PrincipalStore
from application.system import System
from interfaces import compose
from interfaces.api import errors, problems
from interfaces.api.fastlane import AccessFastLane
from interfaces.api.limits import BodyLimitMiddleware
from interfaces.api.observability import Metrics, ObservabilityMiddleware, configure_logging
from interfaces.api.routes.events import streams_end_on_exit_signal
from interfaces.settings import Settings, get_settings

# FastAPI's native OpenTelemetry instrumentation, all of it off (`REGLEDGER_OPENTELEMETRY`).
TELEMETRY_OFF: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "auto_configure": False,
}

# Each module exposes `router`; they are included in this order, which is also the order
# a request's path is matched in: the busiest routes come first (the plain access check
# is mostly answered before routing, by the fast lane).
ROUTER_MODULES = (
    "interfaces.api.routes.models",
    "interfaces.api.routes.access",
    "interfaces.api.routes.directives",
    "interfaces.api.routes.appeals",
    "interfaces.api.routes.lists",
    "interfaces.api.routes.cases",
    "interfaces.api.routes.audit",
    "interfaces.api.routes.events",
    "interfaces.api.routes.ops",
    "interfaces.api.routes.health",
    "interfaces.web.routes",
)

DESCRIPTION = """\
The regledger register: directives restricting access to AI models, the providers' own
acts, appeals and their negotiation. Commands are `POST`s that need
`Authorization: Bearer <token>`; the register's reads answer anonymous callers too.
Errors are RFC 9457 `application/problem+json` documents naming the rule or field.
"""


def build_system(settings: Settings) -> System:
    """The System the settings describe."""
    return compose.build_system(settings, follow=settings.run_projections)


def _operation_id(route: APIRoute) -> str:
    return route.name


def _plain_optional_headers(schema: dict[str, Any]) -> None:
    """An optional header is a plain string that may be absent, not `string | null`."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                choices = parameter.get("schema", {}).get("anyOf", [])
                if parameter.get("in") == "header" and {"type": "null"} in choices:
                    kept = [c for c in choices if c != {"type": "null"}]
                    if len(kept) == 1:
                        inner = parameter["schema"]
                        del inner["anyOf"]
                        inner.update(kept[0])


def _install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schema.setdefault("components", {}).setdefault("schemas", {}).update(
                problems.problem_schemas()
            )
            _plain_optional_headers(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(
    settings: Settings, system: System | None = None, *, server_process: bool = False
) -> FastAPI:
    """The HTTP API; a given `system` is used as is and left open at shutdown.

    `server_process` marks an app that owns its process (a server's factory): once
    started, everything allocated so far is exempted from garbage collection scans.
    """

    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        current = system if system is not None else build_system(settings)
        if server_process:
            # Modules, routes and the system live as long as the process: collections
            # need not walk them again and again while requests allocate.
            gc.collect()
            gc.freeze()
        api.state.system = current
        api.state.principals = PrincipalStore(current.app.db, current.app.clock)
        api.state.settings = settings
        try:
            api.state.stopping.clear()  # the app may be started again after a shutdown
            with streams_end_on_exit_signal(api.state.stopping):
                yield
        finally:
            api.state.stopping.set()
            if system is None:
                current.close()

    app = FastAPI(
        title="regledger",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        # Off unless asked for: it would otherwise look for configured providers on every
        # request (the service's own metrics and logs are Prometheus text and JSON lines).
        telemetry=None if settings.opentelemetry else TELEMETRY_OFF,
    )
    errors.install(app)
    configure_logging(settings.log_level)
    app.state.stopping = threading.Event()  # set at shutdown: live streams end
    app.state.catching_up = threading.Lock()  # one request at a time applies pending events
    app.state.metrics = Metrics()
    app.state.metrics.watch(lambda: getattr(app.state, "system", None))
    # Added first, so innermost: the lane's answers pass the logs, metrics and request ids.
    app.add_middleware(AccessFastLane, metrics=app.state.metrics)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Added last, so outermost: it also times and counts the refusals of the inner layers.
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics)
    for name in ROUTER_MODULES:
        app.include_router(importlib.import_module(name).router)
    _install_openapi(app)
    return app


def app_from_settings() -> FastAPI:
    """The HTTP API configured from the environment (a factory for ASGI servers)."""
    return create_app(get_settings(), server_process=True)
