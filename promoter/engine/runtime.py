"""The adapters one bot process works with, wired once at start-up and passed down."""

from __future__ import annotations

import dataclasses
import datetime as dt

from promoter.core.model import Pipeline, PipelineError
from promoter.core.pullrequest import PullRequest
from promoter.engine.faults import Faults
from promoter.ports import Clock, ConfigRepo, Deployments, Forge, Metrics, Store


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


@dataclasses.dataclass
class Runtime:
    store: Store
    forge: Forge
    repo: ConfigRepo
    deployments: Deployments
    pipelines: dict[str, Pipeline]
    clock: Clock = dataclasses.field(default_factory=SystemClock)
    metrics: Metrics | None = None  # Prometheus, for analysis (None: every measurement is an Error)
    faults: Faults = dataclasses.field(default_factory=Faults)
    interval: dt.timedelta = dt.timedelta(seconds=30)  # the reconcile interval (gates due sooner wake the bot)
    known: set[str] = dataclasses.field(default_factory=set)  # pipelines whose store was checked (not lost)
    _marked: list[PullRequest] | None = dataclasses.field(default=None, repr=False)
    _errors: dict[str, PipelineError | None] | None = dataclasses.field(default=None, repr=False)

    def errors(self) -> dict[str, PipelineError | None]:
        """The pipelines' current errors as last written by this process (read from the store once)."""
        if self._errors is None:
            self._errors = dict(self.store.errors())
        return self._errors

    def marked_prs(self) -> list[PullRequest]:
        """promoter's PRs on the forge, listed once per process (only to rebuild a lost store)."""
        if self._marked is None:
            self._marked = self.forge.marked_prs()
        return self._marked

    def close(self) -> None:
        """Release connections (the store's pool, HTTP clients, git's long-lived reader) that support it."""
        for part in (self.store, self.deployments, self.forge, self.metrics, self.repo):
            close = getattr(part, "close", None)
            if callable(close):
                close()
