"""Who may call the simulated API: one user with a password (``POST /api/v1/session``) and bearer tokens.

Tokens are opaque random strings rather than Argo CD's JWTs; clients only pass them back.
"""

from __future__ import annotations

import dataclasses
import hmac
import secrets
import threading

from starlette.requests import Request

from promoter.sandbox.argocd.errors import ApiError, Code

_COOKIE = "argocd.token"  # the UI's cookie, which Argo CD's API also accepts


@dataclasses.dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    token: str  # accepted without a login, like a token from ``argocd account generate-token``

    @classmethod
    def generate(cls, username: str = "admin") -> Credentials:
        return cls(username, secrets.token_urlsafe(18), secrets.token_urlsafe(32))


class Sessions:
    """The tokens this server has issued (kept in memory: they end with the server)."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        self._tokens = {credentials.token}
        self._lock = threading.Lock()

    def login(self, username: str, password: str) -> str:
        expected = self.credentials
        same_user = hmac.compare_digest(username.encode(), expected.username.encode())
        same_password = hmac.compare_digest(password.encode(), expected.password.encode())
        if not (same_user and same_password):
            raise ApiError(Code.UNAUTHENTICATED, "Invalid username or password")
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens.add(token)
        return token

    def check(self, request: Request) -> str:
        """The caller's user name; ``ApiError`` (Unauthenticated) without a valid token."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            token = request.cookies.get(_COOKIE, "")
        if not token:
            raise ApiError(Code.UNAUTHENTICATED, "no session information")
        with self._lock:
            known = any(hmac.compare_digest(token.strip().encode(), t.encode()) for t in self._tokens)
        if not known:
            raise ApiError(Code.UNAUTHENTICATED, "invalid session: token is not valid")
        return self.credentials.username
