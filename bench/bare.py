"""The baselines' bare endpoints, served by the same server with the same settings."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from interfaces.api.app import app_from_settings
from interfaces.api.commands import Command, Invocation
from interfaces.api.schemas import ModelRegistration

ACK = {"id": "00000000-0000-0000-0000-000000000000", "version": 1, "position": 1}
DECISION = {
    "model_id": "00000000-0000-0000-0000-000000000000",
    "user_class": "foreign_national",
    "jurisdiction": "FR",
    "allowed": True,
    "legal_status": "unrestricted",
    "operational_status": "available",
    "compliance": "compliant",
    "basis": [],
    "valid_until": None,
    "position": 1,
}


def create_bare_app() -> FastAPI:
    """A FastAPI app that validates a command body and returns constants."""
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/bare/models", status_code=201)
    def bare_post(body: ModelRegistration) -> dict[str, object]:
        """Validate the same body as POST /v1/models, in the same thread pool, do nothing."""
        return ACK

    @app.get("/bare/access")
    async def bare_get() -> dict[str, object]:
        """Return a constant access decision."""
        return DECISION

    return app


def create_stacked_app() -> FastAPI:
    """The real API with diagnostic routes, to attribute the gap to the bare endpoint.

    `/bench/stack/models` validates the command body and resolves the commands' real
    dependency (authentication, preconditions), then returns a constant;
    `/bench/stack/access` returns a constant decision;
    `/bench/stack/register` runs the real registration with a single thread-pool hop.
    Each goes through every middleware of the real app; the routes are matched first, so
    that they do not pay for matching the app's own routes.
    """
    app = app_from_settings()
    own = len(app.router.routes)

    @app.post("/bench/stack/models", status_code=201)
    def stack_post(body: ModelRegistration, cmd: Command) -> dict[str, object]:
        """The command's body and its real dependency (authentication, headers), a constant."""
        return ACK

    @app.get("/bench/stack/access")
    async def stack_get() -> dict[str, object]:
        """A constant access decision, behind the real app's middleware."""
        return DECISION

    @app.post("/bench/stack/register", status_code=201)
    async def stack_register(request: Request, body: ModelRegistration) -> JSONResponse:
        """The real registration with one thread-pool hop: authentication on the loop."""
        system = request.app.state.system
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        principal = request.app.state.principals.authenticate(token)
        if principal is None:
            return JSONResponse({"detail": "unauthenticated"}, status_code=401)
        command = Invocation(request, system.app, principal, None, None)
        return await run_in_threadpool(
            command.run,
            body,
            lambda ctx: system.app.register_model(ctx, body.name, body.description),
            "/v1/models",
        )

    routes = app.router.routes
    routes[:] = routes[own:] + routes[:own]
    return app
