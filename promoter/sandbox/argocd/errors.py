"""The API's errors: gRPC status codes (Argo CD's API is gRPC behind a JSON gateway) and their HTTP statuses.

The body is the gateway's: ``{"error": message, "code": grpc_code, "message": message}``.
"""

from __future__ import annotations

import enum
from typing import Any


class Code(enum.IntEnum):
    INVALID_ARGUMENT = 3
    NOT_FOUND = 5
    PERMISSION_DENIED = 7
    FAILED_PRECONDITION = 9
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    UNAUTHENTICATED = 16


_HTTP_STATUS = {
    Code.INVALID_ARGUMENT: 400,
    Code.NOT_FOUND: 404,
    Code.PERMISSION_DENIED: 403,
    Code.FAILED_PRECONDITION: 400,
    Code.UNIMPLEMENTED: 501,
    Code.INTERNAL: 500,
    Code.UNAVAILABLE: 503,
    Code.UNAUTHENTICATED: 401,
}


class ApiError(Exception):
    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def http_status(self) -> int:
        return _HTTP_STATUS[self.code]

    def body(self) -> dict[str, Any]:
        return {"error": self.message, "code": int(self.code), "message": self.message}


def app_not_found(name: str) -> ApiError:
    return ApiError(Code.NOT_FOUND, f'applications.argoproj.io "{name}" not found')
