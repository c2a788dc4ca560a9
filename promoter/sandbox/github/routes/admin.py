"""The sandbox's own routes under ``/_sandbox/``, which GitHub does not have: request counters for tests,
a reset, faults to come (GitHub's bad moments, :mod:`..faults`), and raw file bytes (the ``download_url`` of
contents). They need no token and cost nothing."""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from promoter.sandbox.github import faults, forge

_SHA = re.compile(r"^[0-9a-f]{40}$")


def routes() -> list[Route]:
    return [
        Route("/_sandbox/stats", stats, methods=["GET"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/faults", add_faults, methods=["POST"]),
        Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
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


async def add_faults(request: Request) -> Response:
    """Queue ``count`` faults: ``{"status": 502|503|500|403, "count": N, "retry_after": S, "method": "GET"}``."""
    try:
        body = await request.json()
        fault = faults.Fault(int(body["status"]), body.get("retry_after"), body.get("method"))
        request.app.state.faults.add(fault, int(body.get("count", 1)))
    except (ValueError, KeyError, TypeError) as exc:
        return JSONResponse({"message": f"bad fault: {exc}"}, status_code=422)
    return Response(status_code=204)


async def clear_faults(request: Request) -> Response:
    request.app.state.faults.clear()
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
