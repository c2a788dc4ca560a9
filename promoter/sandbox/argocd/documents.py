"""The JSON the API serves for Applications, shaped field by field like Argo CD's own (see the example
Application in ``shared/specs``): RFC 3339 times in UTC at whole seconds, ``revision``/``source`` for a
single-source app and ``revisions``/``sources`` for a multi-source one, empty fields left out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from promoter.core.appstatus import OperationPhase
from promoter.gitops.applications import Application
from promoter.sandbox.argocd import resources
from promoter.sandbox.argocd.lifecycle import Operation, State
from promoter.sandbox.argocd.rendering import Rendered

CONTROLLER_NAMESPACE = "argocd"


@dataclasses.dataclass(frozen=True)
class Identity:
    """What the simulator, standing in for the Kubernetes API, adds to a manifest from Git."""

    uid: str
    resource_version: int
    created_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class View:
    """One Application at one moment: what Git declares, the controller's state, both renderings."""

    app: Application
    identity: Identity
    state: State
    live: Rendered  # at the deployed revisions (empty before the first deployment)
    target: Rendered  # at the revisions last compared with (the branch heads)


def timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def application(view: View) -> dict[str, Any]:
    app, state = view.app, view.state
    metadata = {
        **app.metadata,
        "namespace": app.namespace,
        "uid": view.identity.uid,
        "resourceVersion": str(view.identity.resource_version),
        "generation": 1,
        "creationTimestamp": timestamp(view.identity.created_at),
    }
    document: dict[str, Any] = {"metadata": metadata, "spec": dict(app.spec), "status": _status(view)}
    if state.operation is not None and state.running:
        document["operation"] = _operation(app, state.operation)
    return document


def application_list(views: list[View], resource_version: int) -> dict[str, Any]:
    return {"metadata": {"resourceVersion": str(resource_version)}, "items": [application(v) for v in views]}


def _status(view: View) -> dict[str, Any]:
    app, state = view.app, view.state
    status: dict[str, Any] = {
        "sync": {"status": state.sync.value, "comparedTo": _sources(app, destination=True)},
        "health": {"status": state.health.value},
        "controllerNamespace": CONTROLLER_NAMESPACE,
    }
    status["sync"].update(_revisions(app, state.compared))
    if state.health_message:
        status["health"]["message"] = state.health_message
    if state.health_changed_at is not None:
        status["health"]["lastTransitionTime"] = timestamp(state.health_changed_at)
    if state.reconciled_at is not None:
        status["reconciledAt"] = timestamp(state.reconciled_at)
        status["observedAt"] = timestamp(state.reconciled_at)
    if state.history:
        status["history"] = [
            {
                "id": entry.id,
                **_revisions(app, entry.revisions),
                **_sources(app),
                "deployStartedAt": timestamp(entry.started_at),
                "deployedAt": timestamp(entry.deployed_at),
                "initiatedBy": _initiator(entry.initiated_by),
            }
            for entry in state.history
        ]
    if state.operation is not None:
        status["operationState"] = _operation_state(view, state.operation)
    if state.conditions:
        moment = timestamp(state.reconciled_at) if state.reconciled_at else None
        status["conditions"] = [
            {"type": c.type, "message": c.message, **({"lastTransitionTime": moment} if moment else {})}
            for c in state.conditions
        ]
    status["resources"] = resources.statuses(view.target.resources, view.live.resources, state.resource_health)
    types = view.target.source_types or view.live.source_types
    if app.multi_source:
        status["sourceTypes"] = list(types)
    elif types:
        status["sourceType"] = types[0]
    status["summary"] = {"images": list(view.live.images)} if view.live.images else {}
    return status


def _operation_state(view: View, operation: Operation) -> dict[str, Any]:
    state: dict[str, Any] = {
        "operation": _operation(view.app, operation),
        "phase": operation.phase.value,
        "message": operation.message,
        "startedAt": timestamp(operation.started_at),
        "syncResult": {**_revisions(view.app, operation.revisions), **_sources(view.app)},
    }
    if operation.finished_at is not None:
        state["finishedAt"] = timestamp(operation.finished_at)
    if operation.phase is OperationPhase.SUCCEEDED:
        state["syncResult"]["resources"] = [
            {
                **resources.ref(key),
                "status": "Synced",
                "message": f"{key.kind.lower()}/{key.name} configured",
                "hookPhase": "Running",
                "syncPhase": "Sync",
            }
            for key in sorted(resources.by_key(view.live.resources))
        ]
    return state


def _operation(app: Application, operation: Operation) -> dict[str, Any]:
    sync: dict[str, Any] = {**_revisions(app, operation.revisions), "syncStrategy": {"hook": {}}}
    if operation.prune:
        sync["prune"] = True
    return {"sync": sync, "initiatedBy": _initiator(operation.initiated_by), "retry": {}}


def _initiator(user: str | None) -> dict[str, Any]:
    return {"automated": True} if user is None else {"username": user}


def _revisions(app: Application, revisions: tuple[str, ...]) -> dict[str, Any]:
    if app.multi_source:
        return {"revisions": list(revisions)} if revisions else {}
    return {"revision": revisions[0]} if revisions else {}


def _sources(app: Application, destination: bool = False) -> dict[str, Any]:
    """The app's ``source`` (or ``sources``) and, when asked, its ``destination``, as the spec says them."""
    found: dict[str, Any] = {}
    if app.multi_source:
        found["sources"] = [dict(source.spec) for source in app.sources]
    else:
        found["source"] = dict(app.sources[0].spec)
    if destination and isinstance(app.spec.get("destination"), dict):
        found["destination"] = app.spec["destination"]
    return found
