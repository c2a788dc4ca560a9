"""The adapters one bot process works with, wired once at start-up and passed down."""

from __future__ import annotations

import dataclasses
import datetime as dt

from promoter.core.model import Pipeline
from promoter.engine.faults import Faults
from promoter.ports import Clock, ConfigRepo, Deployments, Forge, Store


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
    faults: Faults = dataclasses.field(default_factory=Faults)

    def close(self) -> None:
        """Release connections (the store's pool, HTTP clients) that support it."""
        for part in (self.store, self.deployments, self.forge):
            close = getattr(part, "close", None)
            if callable(close):
                close()
