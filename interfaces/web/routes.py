"""The register's pages under /ui: server-rendered HTML, escaped by Jinja2, no build step."""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader

from application.projections.runner import ProjectionTimeoutError
from application.system import System
from domain.errors import DomainError, InvalidInputError, NotFoundError
from interfaces.web import pages
from interfaces.web.formatting import FILTERS, BadParameter, parse_known_at, parse_time

STATIC = Path(str(files("interfaces.web") / "static"))
MEDIA_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}

# Pages carry no inline script or style, so the policy can forbid both.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("interfaces.web", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


templates = Jinja2Templates(env=_environment())
router = APIRouter(prefix="/ui", include_in_schema=False)


def _system(request: Request) -> System:
    system: System = request.app.state.system
    return system


def _status(error: DomainError) -> int:
    if isinstance(error, NotFoundError):
        return 404
    return 422 if isinstance(error, InvalidInputError) else 409


def render(request: Request, template: str, build: Callable[[], dict[str, Any]]) -> Response:
    """A page, or a page that says in one sentence why it cannot be shown."""
    try:
        context, status = build(), 200
    except BadParameter as e:
        template, context, status = "error.html", {"message": str(e)}, 422
    except DomainError as e:
        template, context, status = "error.html", {"message": e.detail}, _status(e)
    except ProjectionTimeoutError as e:
        template, context, status = "error.html", {"message": str(e)}, 503
    return templates.TemplateResponse(
        request, template, context, status_code=status, headers=SECURITY_HEADERS
    )


def _uuid(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise NotFoundError(f"there is no {what} {value!r}: ids are UUIDs") from None


@router.get("", response_class=HTMLResponse)
def register(request: Request) -> Response:
    """The register: every model with its status now, directives, appeals and open cases."""
    return render(request, "register.html", lambda: pages.register_page(_system(request)))


@router.get("/", response_class=RedirectResponse)
def register_slash() -> RedirectResponse:
    """The register, under its canonical address."""
    return RedirectResponse("/ui", status_code=308)


@router.get("/models/{model_id}", response_class=HTMLResponse)
def model(
    request: Request, model_id: str, at: str | None = None, known_at: str | None = None
) -> Response:
    """A model's access timeline, as known at `known_at`, and its status at `at`."""
    return render(
        request,
        "model.html",
        lambda: pages.model_page(
            _system(request),
            _uuid(model_id, "model"),
            parse_time("at", at),
            parse_known_at(known_at),
        ),
    )


@router.get("/directives/{directive_id}", response_class=HTMLResponse)
def directive(request: Request, directive_id: str) -> Response:
    """A directive, whom it reaches, its appeals and its record."""
    return render(
        request,
        "directive.html",
        lambda: pages.directive_page(_system(request), _uuid(directive_id, "directive")),
    )


@router.get("/appeals/{appeal_id}", response_class=HTMLResponse)
def appeal(request: Request, appeal_id: str) -> Response:
    """An appeal: grounds, stay, negotiation thread, filings and decision."""
    return render(
        request,
        "appeal.html",
        lambda: pages.appeal_page(_system(request), _uuid(appeal_id, "appeal")),
    )


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request) -> Response:
    """The latest signed tree head, and a button to verify the whole record."""
    return render(request, "audit.html", lambda: pages.audit_page(_system(request)))


@router.post("/audit/verify", response_class=HTMLResponse)
def audit_verify(request: Request) -> Response:
    """Verify the ledger, the tree heads and the views now, and show the outcome."""
    return render(request, "audit.html", lambda: pages.audit_page(_system(request), True))


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The pages' stylesheet and script."""
    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(
        path,
        media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
