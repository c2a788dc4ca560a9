"""GitHub Apps: ``POST /app/installations/{installation_id}/access_tokens`` with the App's JWT.

The App signs a short JWT (RS256, ``iss`` = the App's id) with its private key; GitHub answers an
installation token that then authenticates like any token, here as the installation's bot user.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from promoter.sandbox.github import errors, forge


@dataclasses.dataclass(frozen=True)
class App:
    id: int
    installation_id: int
    public_key: str  # PEM
    login: str = "promoter-bot"  # the account the installation's tokens act as


def routes() -> list[Route]:
    return [Route("/app/installations/{installation_id}/access_tokens", access_token, methods=["POST"])]


async def access_token(request: Request) -> Response:
    hub: forge.Forge = request.app.state.forge
    apps: dict[int, App] = request.app.state.apps
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    app = _verified(apps, token) if scheme.lower() == "bearer" else None
    if app is None:
        return JSONResponse({"message": "A JSON web token could not be decoded", "documentation_url": errors.DOCS}, 401)
    if str(app.installation_id) != request.path_params["installation_id"]:
        return JSONResponse(errors.not_found().payload(), 404)
    issued = "ghs_" + secrets.token_urlsafe(27)
    hub.accounts.grant(issued, app.login)
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).replace(microsecond=0)
    body = {
        "token": issued,
        "expires_at": expires.isoformat().replace("+00:00", "Z"),
        "permissions": {"contents": "write", "pull_requests": "write", "statuses": "write", "issues": "write"},
        "repository_selection": "selected",
    }
    return JSONResponse(body, 201)


def _verified(apps: dict[int, App], token: str) -> App | None:
    try:
        issuer = str(jwt.decode(token, options={"verify_signature": False}).get("iss"))
        app = apps.get(int(issuer))
        if app is None:
            return None
        jwt.decode(token, app.public_key, algorithms=["RS256"], leeway=60)
    except (jwt.PyJWTError, TypeError, ValueError):
        return None
    return app
