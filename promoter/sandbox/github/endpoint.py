"""The HTTP edge: authentication, rate limits, ETags, JSON in and out, around plain handler functions.

A handler is a synchronous function from a :class:`Call` (the caller, the path and query parameters,
the parsed body) to a :class:`Reply`, or it raises :class:`~promoter.sandbox.github.errors.ApiError`.
Handlers run on Starlette's thread pool, so a slow git command never blocks the event loop.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from promoter.sandbox.github import accounting, accounts, errors, forge, links

RATE_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
# Parameters whose values may contain "/" (refs, file paths, "base...head", branch and label names).
_PATHLIKE = re.compile(r"\{(ref|path|basehead|branch|name)\}")


@dataclasses.dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Call:
    forge: forge.Forge
    user: accounts.User
    links: links.Links
    params: Mapping[str, str]
    query: Mapping[str, str]
    body: Any
    url: str

    @property
    def role(self) -> accounts.Role:
        return self.user.role

    def require(self, role: accounts.Role) -> None:
        """403 unless the caller's role is at least ``role``."""
        if self.user.role < role:
            raise errors.forbidden()

    def number(self, name: str) -> int:
        """A numeric path parameter; anything else is "Not Found", as GitHub answers."""
        text = self.params[name]
        if not text.isdigit():
            raise errors.not_found()
        return int(text)

    def field(self, name: str, kind: type | tuple[type, ...] = str, default: Any = None) -> Any:
        """A body field of the expected JSON type; 422 naming the field when it has another type."""
        body = self.body if isinstance(self.body, dict) else {}
        value = body.get(name, default)
        if value is not None and not isinstance(value, kind):
            raise errors.invalid("Body", name, "invalid", value if isinstance(value, str | int) else None)
        return value

    def has(self, name: str) -> bool:
        return isinstance(self.body, dict) and name in self.body


Handler = Callable[[Call], Reply]


def route(method: str, template: str, handler: Handler, *, counted: bool = True) -> Route:
    """A Starlette route for ``METHOD template`` (GitHub's path template, e.g. ``/repos/{owner}/{repo}``).

    ``counted=False`` keeps the request off the rate limit (``GET /rate_limit`` is free on GitHub too).
    """

    async def endpoint(request: Request) -> Response:
        return await _serve(request, method, template, handler, counted)

    path = _PATHLIKE.sub(lambda match: "{" + match.group(1) + ":path}", template)
    return Route(path, endpoint, methods=[method], name=f"{method} {template}")


async def _serve(request: Request, method: str, template: str, handler: Handler, counted: bool) -> Response:
    hub: forge.Forge = request.app.state.forge
    user: accounts.User | None = None
    quota: accounting.Quota | None = None
    # Conditional requests are charged only when they are not answered 304, which is known only at the end.
    if_none_match = request.headers.get("if-none-match") if method == "GET" else None
    try:
        user = _authenticate(hub, request.headers.get("authorization"))
        call = await _call(request, hub, user)
        if counted and if_none_match is None:
            quota = _spend(hub, user)
        reply = await run_in_threadpool(handler, call)
    except errors.ApiError as error:
        reply = Reply(error.status, error.payload())
    except errors.GitFailure as failure:
        reply = Reply(500, {"message": str(failure), "documentation_url": errors.DOCS})
    content = _encode(reply.body)
    headers = dict(reply.headers)
    status = reply.status
    if method == "GET" and status == 200:
        headers["ETag"] = tag = _etag(content, user)
        if if_none_match is not None and _matches(if_none_match, tag):
            status, content = 304, b""
        elif if_none_match is not None and counted and user is not None:
            try:
                quota = _spend(hub, user)
            except errors.ApiError as error:
                status, content = error.status, _encode(error.payload())
    if user is not None and counted:
        headers.update((quota or hub.accounting.quota(user.login)).headers())
    hub.accounting.record(method, template, user.login if user else None, not_modified=status == 304)
    media = "application/json; charset=utf-8" if content else None
    return Response(content, status_code=status, headers=headers, media_type=media)


async def _call(request: Request, hub: forge.Forge, user: accounts.User) -> Call:
    """The handler's view of the request; a repository other than the hosted one is "Not Found"."""
    params = {key: str(value) for key, value in request.path_params.items()}
    if "owner" in params and (not hub.names(params["owner"], params["repo"]) or user.role < accounts.Role.READ):
        raise errors.not_found()
    body = _json(await request.body())
    urls = links.Links(str(request.base_url).rstrip("/"), hub.owner, hub.name)
    return Call(hub, user, urls, params, request.query_params, body, str(request.url))


def _spend(hub: forge.Forge, user: accounts.User) -> accounting.Quota:
    quota = hub.accounting.consume(user.login)
    if quota is None:
        raise errors.ApiError(403, f"API rate limit exceeded for user ID {user.id}.", documentation_url=RATE_DOCS)
    return quota


def _encode(body: Any) -> bytes:
    return b"" if body is None else json.dumps(body, ensure_ascii=False).encode()


def _authenticate(hub: forge.Forge, header: str | None) -> accounts.User:
    """``token X``, ``Bearer X``, or Basic with the token as password (as git credential helpers send)."""
    if not header:
        raise errors.ApiError(401, "Requires authentication")
    scheme, _, value = header.partition(" ")
    token = value.strip()
    if scheme.lower() == "basic":
        try:
            token = base64.b64decode(token, validate=True).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            token = ""
    elif scheme.lower() not in ("token", "bearer"):
        token = ""
    user = hub.accounts.by_token(token) if token else None
    if user is None:
        raise errors.bad_credentials()
    return user


def _json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.ApiError(400, "Problems parsing JSON") from exc


def _etag(content: bytes, user: accounts.User | None) -> str:
    """Weak, per user: GitHub varies its ETags on the Authorization header too."""
    digest = hashlib.sha256(content)
    digest.update(b"\0" + (user.login if user else "").encode())
    return f'W/"{digest.hexdigest()[:40]}"'


def _matches(header: str, tag: str) -> bool:
    wanted = {item.strip().removeprefix("W/") for item in header.split(",")}
    return "*" in wanted or tag.removeprefix("W/") in wanted
