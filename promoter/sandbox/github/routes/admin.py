"""The sandbox's own routes under ``/_sandbox/``, which GitHub does not have: request counters for tests,
a reset, and raw file bytes (the ``download_url`` of contents). They need no token and cost nothing."""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from promoter.sandbox.github import forge

_SHA = re.compile(r"^[0-9a-f]{40}$")


def routes() -> list[Route]:
    return [
        Route("/_sandbox/stats", stats, methods=["GET"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/blobs/{sha}", blob, methods=["GET"]),
    ]


def _forge(request: Request) -> forge.Forge:
    hub: forge.Forge = request.app.state.forge
    return hub


async def stats(request: Request) -> Response:
    """Requests served, how many counted against rate limits, 304s, per route template and per user."""
    return JSONResponse(_forge(request).accounting.stats())


async def reset(request: Request) -> Response:
    """Zero the counters and restore every rate-limit budget (records and git are left alone)."""
    _forge(request).accounting.reset()
    return Response(status_code=204)


async def blob(request: Request) -> Response:
    content = await run_in_threadpool(_read, _forge(request), request.path_params["sha"])
    if content is None:
        return JSONResponse({"message": "Not Found"}, status_code=404)
    return Response(content, media_type="application/octet-stream")


def _read(hub: forge.Forge, sha: str) -> bytes | None:
    if not _SHA.match(sha) or hub.git.object_kind(sha) != "blob":
        return None
    return hub.git.blob(sha)
