"""The Starlette application: every route module's routes, GitHub-shaped 404s for everything else."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from promoter.sandbox.github import errors, faults, forge
from promoter.sandbox.github.routes import (
    admin,
    apps,
    checks,
    comments,
    git,
    issues,
    labels,
    pulls,
    repos,
    reviews,
    writes,
)


def create_app(hub: forge.Forge, github_apps: Iterable[apps.App] = ()) -> Starlette:
    """The sandbox's ASGI app serving ``hub``; serve it with :class:`promoter.serving.Server`."""
    # Order matters where a "/"-spanning parameter could swallow a suffix: ``commits/{ref}`` (in git) must
    # come after ``commits/{ref}/status`` and ``commits/{ref}/check-runs`` (in checks).
    routes = [
        *apps.routes(),
        *admin.routes(),
        *repos.routes(),
        *checks.routes(),
        *pulls.routes(),
        *reviews.routes(),
        *issues.routes(),
        *labels.routes(),
        *comments.routes(),
        *writes.routes(),
        *git.routes(),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _unknown},
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=_faulting)],
    )
    app.state.forge = hub
    app.state.faults = faults.Faults()
    app.state.apps = {github_app.id: github_app for github_app in github_apps}
    return app


async def _unknown(request: Request, exc: Exception) -> Response:
    """GitHub answers unknown paths and unsupported methods alike with a JSON 404."""
    return JSONResponse(errors.not_found().payload(), status_code=404)


async def _faulting(request: Request, call_next: RequestResponseEndpoint) -> Response:
    """A fault queued through ``/_sandbox/faults`` answers the request instead of the route."""
    if not request.url.path.startswith("/_sandbox/"):
        fault: faults.Fault | None = request.app.state.faults.take(request.method, request.url.path)
        if fault is not None:
            return JSONResponse(fault.payload(), status_code=fault.status, headers=fault.headers())
    return await call_next(request)
