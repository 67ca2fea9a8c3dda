"""The baselines' bare endpoints, served by the same server with the same settings."""

from __future__ import annotations

from fastapi import FastAPI

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


def create_bare_async_app() -> FastAPI:
    """The same bare command endpoint, but `async def` (no thread-pool hop)."""
    app = create_bare_app()

    @app.post("/bare/models-async", status_code=201)
    async def bare_post_async(body: ModelRegistration) -> dict[str, object]:
        """Validate the same body on the event loop, do nothing."""
        return ACK

    return app
