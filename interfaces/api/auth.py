"""Who is calling: bearer tokens looked up on every request, and the app's shared objects."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from application.principals import Principal, PrincipalStore
from application.service import Regledger
from application.system import System
from interfaces.api.errors import Unauthenticated

bearer = HTTPBearer(
    auto_error=False,
    description="A token created by `regledger principal add --org ORG --role ROLE`.",
)


# Dependencies are `async def` so that FastAPI runs them on the event loop: a plain `def`
# dependency costs a thread-pool hop each, per request. Only the token lookup touches the
# store, and it goes to the thread pool itself.


async def get_system(request: Request) -> System:
    """The process's one System, built in the app's lifespan."""
    system: System = request.app.state.system
    return system


async def get_app(system: Annotated[System, Depends(get_system)]) -> Regledger:
    """The application the routes call."""
    return system.app


async def get_principals(request: Request) -> PrincipalStore:
    """The principal store of this process."""
    store: PrincipalStore = request.app.state.principals
    return store


async def viewer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    principals: Annotated[PrincipalStore, Depends(get_principals)],
) -> Principal | None:
    """The calling principal, or None for an anonymous caller; a bad token is refused."""
    if "authorization" not in request.headers:
        return None
    if credentials is None:
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    principal = await run_in_threadpool(principals.authenticate, credentials.credentials)
    if principal is None:
        raise Unauthenticated("the bearer token is unknown or revoked")
    return principal


async def caller(principal: Annotated[Principal | None, Depends(viewer)]) -> Principal:
    """The calling principal; commands refuse anonymous callers."""
    if principal is None:
        raise Unauthenticated("this command needs 'Authorization: Bearer <token>'")
    return principal


App = Annotated[Regledger, Depends(get_app)]
Viewer = Annotated[Principal | None, Depends(viewer)]
Caller = Annotated[Principal, Depends(caller)]
