"""The simulated Argo CD: the Applications of one bare repo, each with its controller state (the shell).

On every call it reads the refs once, re-scans the Applications when the default branch has moved, renders
what it needs (cached per commit) and lets each Application's controller catch up to the clock
(:mod:`lifecycle` decides; this module only observes and keeps the results). Calls are serialised by a
lock: the HTTP layer calls in from a thread pool.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from promoter.gitops.applications import Application
from promoter.sandbox.argocd import applications, health, lifecycle, rendering
from promoter.sandbox.argocd.applications import Catalog
from promoter.sandbox.argocd.clock import Clock, system_clock
from promoter.sandbox.argocd.documents import Identity, View
from promoter.sandbox.argocd.errors import ApiError, Code, app_not_found
from promoter.sandbox.argocd.gitrepo import BareRepo, CommitInfo, Refs, Snapshot
from promoter.sandbox.argocd.rendering import Rendered
from promoter.sandbox.argocd.scenario import Scenario

_RENDER_CACHE = 512
_SCAN_CACHE = 64
_EMPTY = Catalog({}, (), ())


class Simulator:
    """The simulated Argo CD around one repository.

    ``repo`` is the bare repository to follow (a work tree also works); ``scenario`` the initial rules;
    ``clock`` the time seam (a :class:`~promoter.sandbox.argocd.clock.ManualClock` in tests); ``git_timeout``
    the seconds each git command may take. Applications in Git at construction are taken as deployed and
    settled already; those that appear later start undeployed, as a new Application does in Argo CD.
    """

    def __init__(
        self, repo: Path, *, scenario: Scenario | None = None, clock: Clock = system_clock, git_timeout: float = 10.0
    ) -> None:
        self.repo = BareRepo(repo, git_timeout)
        self._scenario = scenario or Scenario()
        self._clock = clock
        self._lock = threading.RLock()
        self._catalog, self._catalog_commit = _EMPTY, ""
        self._scans: dict[str, Catalog] = {}
        self._present: dict[str, Application] = {}  # the Applications Argo CD has now, by name
        self._states: dict[str, lifecycle.State] = {}
        self._identities: dict[str, Identity] = {}
        self._version = 0
        self._renders: dict[str, Rendered] = {}
        with self._lock:
            self._observe(self._now(), seed=True)  # what is in Git at start is taken as deployed already

    @property
    def scenario(self) -> Scenario:
        return self._scenario

    @property
    def catalog(self) -> Catalog:
        """What the default branch declared when last read: Applications (each with its file), sets, problems."""
        with self._lock:
            return self._catalog

    @property
    def problems(self) -> tuple[str, ...]:
        """Files of the default branch that mention Argo CD but could not be read as Applications (and why)."""
        with self._lock:
            return self._catalog.problems

    @property
    def resource_version(self) -> int:
        """Bumped at every change of any Application (the list's ``metadata.resourceVersion``)."""
        return self._version

    def set_scenario(self, changes: Mapping[str, Any]) -> Scenario:
        """Change some scenario fields (``ValueError`` naming a bad one); the new rules apply from now on."""
        with self._lock:
            self._observe(self._now())  # what happened so far happened under the old rules
            self._scenario = self._scenario.updated(changes)
            return self._scenario

    def views(self) -> list[View]:
        """Every Application, by name."""
        with self._lock:
            self._observe(self._now())
            return [self._view(name) for name in sorted(self._present)]

    def view(self, name: str, refresh: bool = False) -> View:
        """One Application; with ``refresh`` the controller compares (and auto-syncs) before answering."""
        with self._lock:
            now = self._now()
            inputs = self._observe(now)
            if name not in inputs:
                raise app_not_found(name)
            if refresh:
                state = lifecycle.reconcile(self._states[name], inputs[name], now)
                self._keep(name, lifecycle.advance(state, inputs[name], now))
            return self._view(name)

    def sync(
        self, name: str, user: str, revisions: tuple[str, ...] = (), prune: bool = False, dry_run: bool = False
    ) -> View:
        """Start a sync operation, to the branch heads or to ``revisions`` (one per source)."""
        with self._lock:
            now = self._now()
            inputs = self._observe(now)
            if name not in inputs:
                raise app_not_found(name)
            app, state, wanted = self._present[name], self._states[name], inputs[name].desired.revisions
            if state.running:
                raise ApiError(Code.FAILED_PRECONDITION, "another operation is already in progress")
            if revisions:
                wanted = self._resolve_requested(app, revisions, inputs[name])
            if wanted is None:
                raise ApiError(Code.FAILED_PRECONDITION, inputs[name].desired.error or "no revision to sync to")
            if not dry_run:
                started = lifecycle.start(state, wanted, now, user, prune)
                self._keep(name, lifecycle.advance(started, inputs[name], now))
            return self._view(name)

    def revision_metadata(self, name: str, revision: str) -> CommitInfo:
        """Author, date and message of a commit, asked about through one of the Applications."""
        with self._lock:
            if name not in self._observe(self._now()):
                raise app_not_found(name)
            info = self.repo.commit(revision)
        if info is None:
            raise ApiError(Code.NOT_FOUND, f"revision {revision} not found")
        return info

    def application_sets(self) -> tuple[dict[str, Any], ...]:
        with self._lock:
            self._observe(self._now())
            return self._catalog.application_sets

    def _observe(self, now: dt.datetime, seed: bool = False) -> dict[str, lifecycle.Inputs]:
        """Read Git, then let every Application's controller catch up to ``now``; return what each sees.

        The roots come from the default branch's head; then, parent by parent, the children each parent's
        live revision declares (so a child appears, changes and goes when its parent syncs, as in Argo CD)."""
        refs = self.repo.refs()
        head = refs.shas.get(refs.default_branch)
        if head != self._catalog_commit:
            self._catalog = _EMPTY if head is None else self._scan(head)
            self._catalog_commit = head or ""
        definitions = {name: self._catalog.applications[name] for name in self._catalog.roots}
        queue = list(definitions)
        inputs: dict[str, lifecycle.Inputs] = {}
        while queue:  # each name is queued once: bounded by the Applications of the commits read
            name = queue.pop(0)
            app = definitions[name]
            inputs[name] = self._inputs(app, refs)
            if name not in self._states:
                revisions = inputs[name].desired.revisions
                self._states[name] = lifecycle.State()
                if seed and revisions is not None:
                    content = inputs[name].content(revisions)
                    self._states[name] = lifecycle.deployed(revisions, now, self._scenario, content)
                uid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"argocd-simulator/{name}"))
                self._identities[name] = Identity(uid, 0, now)
            self._keep(name, lifecycle.advance(self._states[name], inputs[name], now))
            for child, defined in self._children(name, app).items():
                if child not in definitions:
                    definitions[child] = defined
                    queue.append(child)
        for gone in self._states.keys() - definitions.keys():
            del self._states[gone], self._identities[gone]
        self._present = definitions
        return inputs

    def _children(self, name: str, app: Application) -> dict[str, Application]:
        """The Applications that ``name``'s live revision declares and its sources deploy."""
        live = self._states[name].live
        if live is None or len(live.revisions) != len(app.sources):
            return {}
        found: dict[str, Application] = {}
        for source, revision in zip(app.sources, live.revisions, strict=True):
            if source.chart is not None:
                continue  # a chart from a Helm repository: its children, if any, are not in this repo
            catalog = self._scan(revision)
            for child in catalog.children(name):
                found.setdefault(child, catalog.applications[child])
        return found

    def _scan(self, commit: str) -> Catalog:
        """What a commit declares, cached (commits never change)."""
        if commit not in self._scans:
            if len(self._scans) >= _SCAN_CACHE:
                self._scans.pop(next(iter(self._scans)))
            self._scans[commit] = applications.scan(Snapshot(self.repo, commit))
        return self._scans[commit]

    def _inputs(self, app: Application, refs: Refs) -> lifecycle.Inputs:
        revisions: list[str] = []
        for source in app.sources:
            if source.chart is not None:
                revisions.append(source.target_revision)  # a chart version: nothing to resolve in Git
                continue
            sha = self.repo.resolve(refs, source.target_revision)
            if sha is None:
                error = f"Unable to resolve '{source.target_revision}' to a commit SHA"
                return self._inputs_for(app, lifecycle.Desired(None, error))
            revisions.append(sha)
        target = self._render(app, tuple(revisions))
        return self._inputs_for(app, lifecycle.Desired(tuple(revisions), target.error))

    def _inputs_for(self, app: Application, desired: lifecycle.Desired) -> lifecycle.Inputs:
        def images_of(revisions: tuple[str, ...]) -> tuple[str, ...]:
            return self._render(app, revisions).images

        def workloads_of(revisions: tuple[str, ...]) -> tuple[health.Workload, ...]:
            return self._render(app, revisions).workloads

        def content_of(revisions: tuple[str, ...]) -> str:
            return self._render(app, revisions).digest

        return lifecycle.Inputs(desired, images_of, self._scenario, self._auto(app), workloads_of, content_of)

    def _resolve_requested(
        self, app: Application, requested: tuple[str, ...], inputs: lifecycle.Inputs
    ) -> tuple[str, ...]:
        if len(requested) != len(app.sources):
            raise ApiError(Code.INVALID_ARGUMENT, f"expected {len(app.sources)} revisions, one per source")
        refs = self.repo.refs()
        resolved = []
        for source, revision in zip(app.sources, requested, strict=True):
            sha = revision if source.chart is not None else self.repo.resolve(refs, revision)
            if sha is None:
                raise ApiError(Code.INVALID_ARGUMENT, f"Unable to resolve '{revision}' to a commit SHA")
            resolved.append(sha)
        if inputs.auto and tuple(resolved) != inputs.desired.revisions:
            target = ", ".join(source.target_revision for source in app.sources)
            raise ApiError(
                Code.FAILED_PRECONDITION, f"Cannot sync to {', '.join(requested)}: auto-sync currently set to {target}"
            )
        return tuple(resolved)

    def _auto(self, app: Application) -> bool:
        return app.automated or not self._scenario.respect_sync_policy

    def _render(self, app: Application, revisions: tuple[str, ...]) -> Rendered:
        """The app's manifests at ``revisions`` (one per source), cached: commits never change."""
        if len(revisions) != len(app.sources):
            return Rendered()  # deployed before the app's spec changed its sources: nothing to compare with
        key = json.dumps([[s.spec for s in app.sources], app.destination_namespace, revisions], sort_keys=True)
        if key not in self._renders:
            snapshots = [
                None if s.chart else Snapshot(self.repo, r) for s, r in zip(app.sources, revisions, strict=True)
            ]
            refs = {s.ref: snap for s, snap in zip(app.sources, snapshots, strict=True) if s.ref and snap is not None}
            parts = [
                rendering.render(source, snapshot, refs, app.destination_namespace, app.name)
                for source, snapshot in zip(app.sources, snapshots, strict=True)
            ]
            if len(self._renders) >= _RENDER_CACHE:
                self._renders.pop(next(iter(self._renders)))
            self._renders[key] = Rendered.combine(parts)
        return self._renders[key]

    def _keep(self, name: str, state: lifecycle.State) -> None:
        if state != self._states[name]:
            self._version += 1
            self._states[name] = state
            self._identities[name] = dataclasses.replace(self._identities[name], resource_version=self._version)

    def _view(self, name: str) -> View:
        app, state = self._present[name], self._states[name]
        override = self._scenario.override(name)
        if override is not None:
            state = lifecycle.overridden(state, override, self._now())
        live = self._render(app, state.live.revisions) if state.live is not None else Rendered()
        target = self._render(app, state.compared) if len(state.compared) == len(app.sources) else Rendered()
        return View(app, self._identities[name], state, live, target)

    def _now(self) -> dt.datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the simulator's clock must return an aware datetime")
        return now
