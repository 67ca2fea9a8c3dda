"""Who is calling: bearer tokens looked up on every request, and the app's shared objects."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool

from application.principals import Principal, PrincipalStore
from application.service import Regledger
from application.system import System
from interfaces.api.errors import UNKNOWN_TOKEN, Unauthenticated

NEEDS_TOKEN = "this command needs 'Authorization: Bearer <token>'"
# The one HTTP bearer scheme every bearer dependency declares: OpenAPI holds a scheme once
# per name, so all of them must describe it alike.
BEARER_SCHEME: dict[str, Any] = {
    "auto_error": False,
    "scheme_name": "HTTPBearer",
    "description": "A token created by `regledger principal add --org ORG --role ROLE`.",
}


class BearerPrincipal(HTTPBearer):
    """The calling principal from `Authorization: Bearer <token>`, or None when absent.

    One dependency reads the header and looks the token up, so each request resolves as
    few dependencies as possible; OpenAPI still shows the standard HTTP bearer scheme.
    A malformed header or an unknown or revoked token is refused.
    """

    async def __call__(self, request: Request) -> Principal | None:  # type: ignore[override]
        token = bearer_token(request)
        if token is None:
            return None
        principals: PrincipalStore = request.app.state.principals
        if principals.local:
            return authenticated(principals, token)  # a thread hop costs more
        return await run_in_threadpool(authenticated, principals, token)


def authenticated(principals: PrincipalStore, token: str) -> Principal:
    """The active principal holding `token`; an unknown or revoked token is refused."""
    principal = principals.authenticate(token)
    if principal is None:
        raise Unauthenticated(UNKNOWN_TOKEN)
    return principal


def bearer_token(request: Request) -> str | None:
    """The token of `Authorization: Bearer <token>`, None without the header; else refused."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    return token.strip()


bearer = BearerPrincipal(**BEARER_SCHEME)


# Dependencies are `async def` so that FastAPI runs them on the event loop: a plain `def`
# dependency costs a thread-pool hop each, per request. Only the token lookup touches the
# store: on a local store it runs on the loop (one indexed read), else in the thread pool.


async def get_system(request: Request) -> System:
    """The process's one System, built in the app's lifespan."""
    system: System = request.app.state.system
    return system


async def get_app(request: Request) -> Regledger:
    """The application the routes call."""
    app: Regledger = request.app.state.system.app
    return app


Viewer = Annotated[Principal | None, Security(bearer)]
App = Annotated[Regledger, Depends(get_app)]
