"""The HTTP face of the simulator: the Argo CD REST paths promoter uses, plus the admin path ``/_sim/scenario``.

Everything under ``/api/v1`` except the login needs a bearer token and answers errors the way Argo CD's
gRPC gateway does. ``/_sim/scenario`` (GET, POST) is not Argo CD's: it reads and changes the scenario rules,
needs no token and keeps working when the scenario makes the API unreachable.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pydantic
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from promoter.sandbox.argocd import documents, resources, selectors
from promoter.sandbox.argocd.applications import CLUSTERS
from promoter.sandbox.argocd.auth import Credentials, Sessions
from promoter.sandbox.argocd.documents import View
from promoter.sandbox.argocd.errors import ApiError, Code
from promoter.sandbox.argocd.gitrepo import GitError
from promoter.sandbox.argocd.simulator import Simulator

Handler = Callable[[Request], Awaitable[Response]]
_Model = TypeVar("_Model", bound=pydantic.BaseModel)


class _Login(pydantic.BaseModel):
    username: str = ""
    password: str = ""


class _SyncRequest(pydantic.BaseModel):
    """The fields of ``applicationApplicationSyncRequest`` the simulator acts on (the rest are accepted)."""

    revision: str = ""
    revisions: tuple[str, ...] = ()
    prune: bool = False
    dry_run: bool = pydantic.Field(False, alias="dryRun")


def create_app(simulator: Simulator, credentials: Credentials) -> Starlette:
    """The ASGI app; serve it with :class:`promoter.serving.Server`."""
    api = _Api(simulator, Sessions(credentials))
    routes = [
        Route("/api/v1/session", api.open(api.session), methods=["POST"]),
        Route("/api/v1/applications", api.guarded(api.list_applications), methods=["GET"]),
        Route("/api/v1/applications/{name}", api.guarded(api.get_application), methods=["GET"]),
        Route("/api/v1/applications/{name}/sync", api.guarded(api.sync), methods=["POST"]),
        Route("/api/v1/applications/{name}/resource-tree", api.guarded(api.resource_tree), methods=["GET"]),
        Route("/api/v1/applications/{name}/managed-resources", api.guarded(api.managed_resources), methods=["GET"]),
        Route(
            "/api/v1/applications/{name}/revisions/{revision}/metadata",
            api.guarded(api.revision_metadata),
            methods=["GET"],
        ),
        Route("/api/v1/applicationsets", api.guarded(api.list_application_sets), methods=["GET"]),
        Route("/api/v1/clusters", api.guarded(api.list_clusters), methods=["GET"]),
        Route("/api/v1/applicationsets/{name}", api.guarded(api.get_application_set), methods=["GET"]),
        Route("/_sim/scenario", api.admin(api.scenario), methods=["GET", "POST"]),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_error})


class _Api:
    """The endpoints: coroutines ``(request, user) -> JSON body``, wrapped so errors get the gateway's shape.

    Simulator calls run in Starlette's thread pool: they read git and take the simulator's lock.
    """

    def __init__(self, simulator: Simulator, sessions: Sessions) -> None:
        self.simulator = simulator
        self.sessions = sessions

    def open(self, handler: Callable[[Request, str], Awaitable[Any]]) -> Handler:
        """A handler that needs no token (the login); errors become gateway-style bodies."""
        return self._wrap(handler, authenticate=False)

    def guarded(self, handler: Callable[[Request, str], Awaitable[Any]]) -> Handler:
        return self._wrap(handler, authenticate=True)

    def admin(self, handler: Callable[[Request, str], Awaitable[Any]]) -> Handler:
        """The simulator's own paths: no token, and they work while Argo CD is "unreachable"."""
        return self._wrap(handler, authenticate=False, admin=True)

    def _wrap(
        self, handler: Callable[[Request, str], Awaitable[Any]], authenticate: bool, admin: bool = False
    ) -> Handler:
        async def endpoint(request: Request) -> Response:
            try:
                if self.simulator.scenario.unreachable and not admin:
                    raise ApiError(Code.UNAVAILABLE, "the Argo CD API server is unavailable (scenario: unreachable)")
                user = self.sessions.check(request) if authenticate else ""
                return JSONResponse(await handler(request, user))
            except ApiError as exc:
                return JSONResponse(exc.body(), status_code=exc.http_status)
            except GitError as exc:
                error = ApiError(Code.INTERNAL, f"repository error: {exc}")
                return JSONResponse(error.body(), status_code=error.http_status)

        return endpoint

    async def session(self, request: Request, _user: str) -> dict[str, Any]:
        login = _parse(_Login, await _body(request))
        return {"token": self.sessions.login(login.username, login.password)}

    async def list_applications(self, request: Request, _user: str) -> dict[str, Any]:
        views = await run_in_threadpool(self.simulator.views)
        query = request.query_params
        names = set(query.getlist("name"))
        projects = set(query.getlist("projects")) | set(query.getlist("project"))
        try:
            selected = selectors.parse(query.get("selector", ""))
        except ValueError as exc:
            raise ApiError(Code.INVALID_ARGUMENT, str(exc)) from None
        views = [
            v
            for v in views
            if (not names or v.app.name in names)
            and (not projects or v.app.project in projects)
            and selected(v.app.labels)
        ]
        return documents.application_list(views, self.simulator.resource_version)

    async def get_application(self, request: Request, _user: str) -> dict[str, Any]:
        refresh = request.query_params.get("refresh", "")
        if refresh not in ("", "normal", "hard"):
            raise ApiError(Code.INVALID_ARGUMENT, f"unknown refresh type {refresh!r}: use normal or hard")
        view = await run_in_threadpool(self.simulator.view, request.path_params["name"], bool(refresh))
        return documents.application(view)

    async def sync(self, request: Request, user: str) -> dict[str, Any]:
        body = _parse(_SyncRequest, await _body(request))
        revisions = body.revisions or ((body.revision,) if body.revision else ())
        name = request.path_params["name"]
        view = await run_in_threadpool(self.simulator.sync, name, user, revisions, body.prune, body.dry_run)
        return documents.application(view)

    async def resource_tree(self, request: Request, _user: str) -> dict[str, Any]:
        view = await self._view(request)
        created = documents.timestamp(view.identity.created_at)
        return resources.tree(view.app.name, view.live.resources, view.state.resource_health, created)

    async def managed_resources(self, request: Request, _user: str) -> dict[str, Any]:
        view = await self._view(request)
        return resources.managed(view.target.resources, view.live.resources)

    async def revision_metadata(self, request: Request, _user: str) -> dict[str, Any]:
        name, revision = request.path_params["name"], request.path_params["revision"]
        info = await run_in_threadpool(self.simulator.revision_metadata, name, revision)
        metadata: dict[str, Any] = {"author": info.author, "date": documents.timestamp(info.date)}
        metadata["message"] = info.message
        if info.tags:
            metadata["tags"] = list(info.tags)
        return metadata

    async def list_application_sets(self, _request: Request, _user: str) -> dict[str, Any]:
        found = await run_in_threadpool(self.simulator.application_sets)
        return {"metadata": {}, "items": [_application_set(s) for s in found]}

    async def list_clusters(self, _request: Request, _user: str) -> dict[str, Any]:
        """The one cluster the simulator deploys to (the in-cluster one, as a fresh Argo CD has), which its
        ApplicationSets' cluster generators see too."""
        items = [{**cluster, "labels": {}, "connectionState": {"status": "Successful"}} for cluster in CLUSTERS]
        return {"metadata": {}, "items": items}

    async def get_application_set(self, request: Request, _user: str) -> dict[str, Any]:
        name = request.path_params["name"]
        for found in await run_in_threadpool(self.simulator.application_sets):
            if found.get("metadata", {}).get("name") == name:
                return _application_set(found)
        raise ApiError(Code.NOT_FOUND, f'applicationsets.argoproj.io "{name}" not found')

    async def scenario(self, request: Request, _user: str) -> dict[str, Any]:
        if request.method == "POST":
            changes = await _body(request)
            try:
                await run_in_threadpool(self.simulator.set_scenario, changes)
            except ValueError as exc:
                raise ApiError(Code.INVALID_ARGUMENT, str(exc)) from None
        return self.simulator.scenario.as_json()

    async def _view(self, request: Request) -> View:
        return await run_in_threadpool(self.simulator.view, request.path_params["name"])


async def _body(request: Request) -> dict[str, Any]:
    """The JSON object sent (an empty body is ``{}``, as the gateway reads it)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ApiError(Code.INVALID_ARGUMENT, "the request body is not a JSON object")
    return parsed


def _parse(model: type[_Model], body: dict[str, Any]) -> _Model:
    try:
        return model.model_validate(body)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise ApiError(Code.INVALID_ARGUMENT, f"invalid request field {where}: {first['msg']}") from None


def _application_set(found: dict[str, Any]) -> dict[str, Any]:
    return {key: found[key] for key in ("apiVersion", "kind", "metadata", "spec") if key in found}


async def _http_error(_request: Request, exc: Exception) -> Response:
    """Unknown paths and methods answer like the gateway, not with Starlette's plain text."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    code = {404: Code.NOT_FOUND, 405: Code.UNIMPLEMENTED}.get(status, Code.INTERNAL)
    error = ApiError(code, "Not Found" if status == 404 else "Method Not Allowed" if status == 405 else "error")
    return JSONResponse(error.body(), status_code=status)
