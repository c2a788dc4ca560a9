"""An Argo CD simulator: Argo CD's REST API on loopback, following a real bare git repository.

Applications are the ``kind: Application`` manifests of the repo's default branch; each is synced (on a
refresh, a sync request, or the automated-sync interval) and reports sync and health per the scenario rules
(:mod:`.scenario`), with the same gap between a finished sync and a fresh health check that real Argo CD has.
Health is judged per resource the way Argo CD's health checks do (:mod:`.health`); the app's is the worst.
promoter talks to it exactly as to Argo CD; tests step an injected clock (:mod:`.clock`).

Modules: :mod:`.api` (HTTP) over :mod:`.simulator` (state, locking, git) over :mod:`.lifecycle` (the pure
controller model, judging health with :mod:`.health`); :mod:`.rendering` stands in for the repo-server, reading
sources with the product's own model of Argo CD (:mod:`promoter.gitops.render`, :mod:`~promoter.gitops.kustomize`,
:mod:`~promoter.gitops.helm`); :mod:`.documents` and :mod:`.resources` shape the JSON.
"""

from promoter.sandbox.argocd.api import create_app
from promoter.sandbox.argocd.auth import Credentials
from promoter.sandbox.argocd.clock import ManualClock, system_clock
from promoter.sandbox.argocd.scenario import Scenario
from promoter.sandbox.argocd.simulator import Simulator

__all__ = ["Credentials", "ManualClock", "Scenario", "Simulator", "create_app", "system_clock"]
