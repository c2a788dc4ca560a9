"""Argo CD, as promoter sees it: what an Application runs and how it is doing (DESIGN.md §6).

The one module that talks to Argo CD's REST API. Responses are parsed at the edge into the core's frozen
:class:`~promoter.core.appstatus.AppStatus`, reading only the fields used; a status string this code does
not know becomes ``UNKNOWN`` instead of an error, so a newer Argo CD cannot crash the bot. Connection
failures, timeouts and 5xx are :class:`TemporaryError`; 401 and 403 are :class:`CredentialError`; a missing
Application and malformed responses are :class:`PermanentError`. Messages name the Application and URL, never the token.
"""

from __future__ import annotations

import dataclasses
import enum
import ssl
import urllib.parse
from types import TracebackType
from typing import Any, TypeVar

import httpx
import pydantic
from pydantic.alias_generators import to_camel

from promoter.adapters import tls
from promoter.core.appstatus import AppStatus, Condition, Health, OperationPhase, SyncStatus
from promoter.errors import CredentialError, PermanentError, TemporaryError

_E = TypeVar("_E", bound=enum.Enum)
_M = TypeVar("_M", bound=pydantic.BaseModel)
_GRPC_FAILED_PRECONDITION = 9  # e.g. "another operation is already in progress": worth retrying later


@dataclasses.dataclass(frozen=True)
class Source:
    repo_url: str
    path: str | None
    target_revision: str
    chart: str | None = None
    ref: str | None = None  # a multi-source entry that lends its files to the others (``$ref/...``)
    value_files: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Application:
    name: str
    sources: tuple[Source, ...]


class ArgoCD:
    """A client of one Argo CD API server; use as a context manager, or call :meth:`close`."""

    def __init__(self, base_url: str, token: str, timeout: float = 10.0, verify: ssl.SSLContext | bool = True) -> None:
        """``verify``: the system's CAs (True), a context with others, or False (no certificate check)."""
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=httpx.Timeout(timeout),
            verify=verify,
        )

    def app_status(self, name: str, refresh: bool = True) -> AppStatus:
        """The Application's status; with ``refresh`` Argo CD first compares it with Git (the call blocks)."""
        params = {"refresh": "normal"} if refresh else {}
        body = self._call("GET", f"/api/v1/applications/{_quote(name)}", name, params=params)
        return _status(name, _parse(_App, body, name))

    def sync(self, name: str) -> None:
        """Ask Argo CD to sync the Application to its target revision now."""
        self._call("POST", f"/api/v1/applications/{_quote(name)}/sync", name, json={"name": name})

    def applications(self) -> list[Application]:
        """Every Application this token may see, with its sources (for mapping changed files to apps)."""
        listed = _parse(_AppList, self._call("GET", "/api/v1/applications", None), None)
        return [_application(app) for app in listed.items or ()]

    def manifests(self, kind: str) -> list[dict[str, Any]]:
        """The items of ``GET /api/v1/<kind>`` (``applications``, ``clusters``) as Argo CD serves them, for
        the repo discovery, which reads them as it reads manifests."""
        body = self._call("GET", f"/api/v1/{kind}", None)
        items = body.get("items") if isinstance(body, dict) else None
        return [item for item in items or [] if isinstance(item, dict)]

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ArgoCD:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def _call(self, method: str, path: str, app: str | None, **kwargs: Any) -> Any:
        what = f"Argo CD application {app!r}" if app else "Argo CD"
        request = self._http.build_request(method, path, **kwargs)
        where = f"{method} {request.url}"
        try:
            response = self._http.send(request)
        except httpx.TimeoutException:
            raise TemporaryError(f"{what}: {where} timed out") from None
        except httpx.ConnectError as exc:
            failed = tls.certificate_problem(exc)
            if failed is None:
                raise TemporaryError(f"{what}: {where} failed: {type(exc).__name__}: {exc}") from None
            # no retry mends a certificate: said once, with what to set
            raise PermanentError(
                f"{what}: {where}: TLS failed: {failed} (trust the CA of argocd-server's certificate with "
                "argocd.ca_file, or --argocd-ca-file; argocd.insecure, or --argocd-insecure, skips the check)"
            ) from None
        except httpx.TransportError as exc:
            raise TemporaryError(f"{what}: {where} failed: {type(exc).__name__}: {exc}") from None
        status = response.status_code
        if status >= 400:
            detail, code = _error(response)
            message = f"{what}: {where} answered {status}" + (f": {detail}" if detail else "")
            if status in (401, 403):
                raise CredentialError(message + " (check promoter's Argo CD token and its RBAC)")
            if status >= 500 or status == 429 or (status == 400 and code == _GRPC_FAILED_PRECONDITION):
                raise TemporaryError(message)
            raise PermanentError(message)
        try:
            return response.json()
        except ValueError:
            raise PermanentError(f"{what}: {where} answered {status} with a body that is not JSON") from None


# The response models read only what promoter uses and ignore the rest.
class _Model(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="ignore", alias_generator=to_camel, populate_by_name=True)


class _Metadata(_Model):
    name: str


class _Helm(_Model):
    value_files: tuple[str, ...] = ()


class _Source(_Model):
    repo_url: str = pydantic.Field("", alias="repoURL")
    path: str | None = None
    target_revision: str = ""
    chart: str | None = None
    ref: str | None = None
    helm: _Helm | None = None


class _Spec(_Model):
    source: _Source | None = None
    sources: tuple[_Source, ...] = ()


class _Revisions(_Model):
    revision: str | None = None
    revisions: tuple[str, ...] | None = None

    def listed(self) -> tuple[str, ...]:
        return self.revisions or ((self.revision,) if self.revision else ())


class _SyncStatus(_Revisions):
    status: str | None = None


class _Health(_Model):
    status: str | None = None
    message: str | None = None


class _OperationState(_Model):
    phase: str | None = None
    message: str | None = None
    started_at: pydantic.AwareDatetime | None = None
    finished_at: pydantic.AwareDatetime | None = None
    sync_result: _Revisions | None = None


class _Condition(_Model):
    type: str
    message: str = ""


class _Status(_Model):
    sync: _SyncStatus = _SyncStatus()
    health: _Health = _Health()
    operation_state: _OperationState | None = None
    reconciled_at: pydantic.AwareDatetime | None = None
    conditions: tuple[_Condition, ...] | None = None


class _App(_Model):
    metadata: _Metadata
    spec: _Spec = _Spec()
    status: _Status = _Status()


class _AppList(_Model):
    items: tuple[_App, ...] | None = None


def _status(name: str, app: _App) -> AppStatus:
    status, operation = app.status, app.status.operation_state
    return AppStatus(
        name=name,
        sync=_enum(SyncStatus, status.sync.status) or SyncStatus.UNKNOWN,
        sync_revisions=status.sync.listed(),
        health=_enum(Health, status.health.status) or Health.UNKNOWN,
        health_message=status.health.message or None,
        operation_phase=None if operation is None else _enum(OperationPhase, operation.phase),
        operation_revisions=()
        if operation is None or operation.sync_result is None
        else operation.sync_result.listed(),
        operation_started_at=None if operation is None else operation.started_at,
        operation_finished_at=None if operation is None else operation.finished_at,
        operation_message=None if operation is None else operation.message or None,
        reconciled_at=status.reconciled_at,
        conditions=tuple(Condition(c.type, c.message) for c in status.conditions or ()),
    )


def _application(app: _App) -> Application:
    listed = app.spec.sources or ((app.spec.source,) if app.spec.source else ())
    sources = (
        Source(s.repo_url, s.path, s.target_revision or "HEAD", s.chart, s.ref, s.helm.value_files if s.helm else ())
        for s in listed
    )
    return Application(app.metadata.name, tuple(sources))


def _enum(kind: type[_E], value: str | None) -> _E | None:
    """The member whose value is ``value``; None for a missing value or one this code does not know."""
    try:
        return kind(value)
    except ValueError:
        return None


def _parse(model: type[_M], body: Any, app: str | None) -> _M:
    try:
        return model.model_validate(body)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        what = f"Argo CD application {app!r}" if app else "Argo CD"
        raise PermanentError(f"{what}: malformed response at {where}: {first['msg']}") from None


def _error(response: httpx.Response) -> tuple[str, int | None]:
    """The message and gRPC code of an error body (the gateway's ``{"message", "code"}``), or its first text."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200], None
    if not isinstance(body, dict):
        return "", None
    code = body.get("code")
    return str(body.get("message") or body.get("error") or ""), code if isinstance(code, int) else None


def _quote(name: str) -> str:
    return urllib.parse.quote(name, safe="")
