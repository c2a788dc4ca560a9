"""What the discovery (:mod:`.discovery`) finds in a checkout: each Application with its origin and the file and
line it was defined at, the ApplicationSets, the tree of who deploys whom, the children only Argo CD knows, and
the problems met on the way."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

from promoter.gitops.applications import Application
from promoter.gitops.manifests import Manifest


class Origin(enum.Enum):
    MANIFEST = "manifest"
    APP_OF_APPS = "app-of-apps"
    APPLICATION_SET = "applicationset"
    ARGOCD_API = "argocd-api"


@dataclasses.dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclasses.dataclass(frozen=True)
class Found:
    """One Application and where it was found (``defined_in``: its manifest, or its ApplicationSet's)."""

    application: Application
    origin: Origin
    defined_in: Location | None
    parent: str | None = None  # the Application whose source deploys it (app-of-apps, argocd-api)
    application_set: str | None = None
    params: Mapping[str, Any] | None = None  # the generator's parameters, for a generated Application

    @property
    def name(self) -> str:
        return self.application.name


@dataclasses.dataclass(frozen=True)
class FoundSet:
    name: str
    namespace: str
    defined_in: Location | None
    parent: str | None  # the Application that deploys it
    generators: tuple[str, ...]
    applications: tuple[str, ...]  # the names it generated here
    unresolved: str | None = None  # why only Argo CD knows what it generates
    notes: tuple[str, ...] = ()
    manifest: Manifest = dataclasses.field(default_factory=dict, repr=False, compare=False)  # as Argo CD stores it


@dataclasses.dataclass(frozen=True)
class Pending:
    """Children of ``parent`` (an Application's name, or ``ApplicationSet/<name>``) known only to Argo CD."""

    parent: str
    reason: str


@dataclasses.dataclass(frozen=True)
class Problem:
    file: str | None
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.file and self.line else self.file
        return f"{where}: {self.message}" if where else self.message


@dataclasses.dataclass(frozen=True)
class Discovery:
    applications: tuple[Found, ...]  # roots first, each followed by what it deploys
    application_sets: tuple[FoundSet, ...]
    tree: Mapping[str, tuple[str, ...]]  # parent -> children; Applications by name, ApplicationSet/<name>
    pending: tuple[Pending, ...]
    problems: tuple[Problem, ...]
    cycles: tuple[tuple[str, ...], ...]  # each chain from parent to child, its first member again at the end


SET_PREFIX = "ApplicationSet/"  # the tree's prefix of an ApplicationSet's node


def set_node(name: str) -> str:
    """The tree's name for an ApplicationSet."""
    return SET_PREFIX + name
