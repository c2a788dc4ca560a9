"""The errors a handler raises, shaped as GitHub shapes them (``message``, ``documentation_url``, ``errors``).

Handlers raise :class:`ApiError`; the endpoint layer turns it into the JSON response. :class:`GitFailure`
is the sandbox's own failure (a git command that should not fail did) and becomes a 500.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

DOCS = "https://docs.github.com/rest"


class GitFailure(Exception):
    """A git command failed or timed out where the sandbox expected it to work."""


class ApiError(Exception):
    """An HTTP error response; ``errors`` become GitHub's validation ``errors`` list."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: Sequence[Mapping[str, Any] | str] = (),
        *,
        body: bool = True,
        documentation_url: str = DOCS,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = tuple(errors)
        self.body = body
        self.documentation_url = documentation_url

    def payload(self) -> dict[str, Any] | None:
        if not self.body:
            return None
        data: dict[str, Any] = {"message": self.message, "documentation_url": self.documentation_url}
        if self.errors:
            data["errors"] = [error if isinstance(error, str) else dict(error) for error in self.errors]
        data["status"] = str(self.status)
        return data


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def bad_credentials() -> ApiError:
    return ApiError(401, "Bad credentials")


def forbidden(message: str = "Resource not accessible by personal access token") -> ApiError:
    return ApiError(403, message)


def invalid(resource: str, field: str, code: str = "invalid", value: Any = None) -> ApiError:
    """422 for one bad field, e.g. a pull request whose ``head`` does not exist."""
    error: dict[str, Any] = {"resource": resource, "field": field, "code": code}
    if value is not None:
        error["value"] = value
    return ApiError(422, "Validation Failed", [error])


def custom(resource: str, message: str) -> ApiError:
    """422 with a sentence, e.g. "A pull request already exists for acme:feature."."""
    return ApiError(422, "Validation Failed", [{"resource": resource, "code": "custom", "message": message}])


def simple(message: str) -> ApiError:
    """422 whose ``errors`` are bare sentences, as the review endpoints answer."""
    return ApiError(422, "Unprocessable Entity", [message])


def unprocessable(message: str) -> ApiError:
    """422 with only a message, as the git data endpoints answer ("Reference already exists")."""
    return ApiError(422, message)
