"""The adapters one bot process works with, wired once at start-up and passed down."""

from __future__ import annotations

import dataclasses
import datetime as dt

from promoter.core.model import Pipeline
from promoter.ports import ConfigRepo, Deployments, Forge, Store


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
    clock: SystemClock = dataclasses.field(default_factory=SystemClock)
