"""The hosted repository as the handlers see it: its name, its users, its git side and its records.

One :class:`Forge` per sandbox. It holds no request state; the endpoint layer hands it to each handler
together with the caller (see :mod:`promoter.sandbox.github.endpoint`).
"""

from __future__ import annotations

import dataclasses
import datetime
import threading

from promoter.sandbox.github.accounting import Accounting
from promoter.sandbox.github.accounts import Accounts, Role
from promoter.sandbox.github.repository import BareRepository
from promoter.sandbox.github.state import State


@dataclasses.dataclass(eq=False)
class Forge:
    """``owner``/``name`` identify the repository; ``git`` is its bare repository on disk."""

    git: BareRepository
    owner: str
    name: str
    default_branch: str
    accounts: Accounts
    state: State
    accounting: Accounting
    repo_id: int = 1
    owner_id: int = 1
    description: str | None = "A config repository served by the promoter sandbox"
    clone_url: str | None = None
    merge_methods: frozenset[str] = frozenset({"merge", "squash", "rebase"})
    created_at: datetime.datetime = dataclasses.field(
        default_factory=lambda: datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    )
    # Serialises merges so that two merges of one pull request cannot both pass the "already merged" check.
    merge_lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def names(self, owner: str, name: str) -> bool:
        """Whether ``owner/name`` from a path means this repository (GitHub compares case-insensitively)."""
        return owner.lower() == self.owner.lower() and name.lower() == self.name.lower()

    def role(self, login: str) -> Role:
        user = self.accounts.by_login(login)
        return user.role if user is not None else Role.NONE

    def clone(self) -> str:
        return self.clone_url or self.git.path.resolve().as_uri()
