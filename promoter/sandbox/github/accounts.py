"""Who may call the sandbox: users, their tokens and their permission on the one hosted repository.

GitHub's six repository roles collapse to three API permission names (``admin``, ``write``, ``read``);
both are kept because the bot reads the API name while the rules below need the finer role.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Iterator


class Role(enum.IntEnum):
    """A repository role, ordered so that ``role >= Role.WRITE`` reads as "may push"."""

    NONE = 0
    READ = 1
    TRIAGE = 2
    WRITE = 3
    MAINTAIN = 4
    ADMIN = 5

    @property
    def permission(self) -> str:
        """The name ``GET .../collaborators/{user}/permission`` reports (maintain is write, triage is read)."""
        if self >= Role.ADMIN:
            return "admin"
        if self >= Role.WRITE:
            return "write"
        if self >= Role.READ:
            return "read"
        return "none"

    @property
    def role_name(self) -> str:
        return self.name.lower()

    def flags(self) -> dict[str, bool]:
        """The ``permissions`` object GitHub attaches to repositories and collaborators."""
        return {
            "admin": self >= Role.ADMIN,
            "maintain": self >= Role.MAINTAIN,
            "push": self >= Role.WRITE,
            "triage": self >= Role.TRIAGE,
            "pull": self >= Role.READ,
        }


@dataclasses.dataclass(frozen=True)
class User:
    """A person or bot account; ``token`` authenticates it (``Authorization: token X`` or ``Bearer X``)."""

    login: str
    id: int
    token: str
    role: Role
    name: str | None = None
    email: str | None = None
    kind: str = "User"

    @property
    def git_name(self) -> str:
        return self.name or self.login

    @property
    def git_email(self) -> str:
        """The address GitHub writes into commits it makes for a user who keeps theirs private."""
        return self.email or f"{self.id}+{self.login}@users.noreply.github.com"


def default_users() -> tuple[User, ...]:
    """The bot and three people with distinct roles, enough to exercise every permission rule."""
    return (
        User("promoter-bot", 101, "sandbox-token-promoter-bot", Role.WRITE, name="Promoter Bot"),
        User("alice", 102, "sandbox-token-alice", Role.ADMIN, name="Alice Admin"),
        User("bob", 103, "sandbox-token-bob", Role.WRITE, name="Bob Writer"),
        User("carol", 104, "sandbox-token-carol", Role.READ, name="Carol Reader"),
    )


class Accounts:
    """The users the sandbox knows, looked up by token (authentication) or by login (everything else)."""

    def __init__(self, users: Iterable[User]) -> None:
        self._by_login: dict[str, User] = {}
        self._by_token: dict[str, User] = {}
        for user in users:
            if user.login.lower() in self._by_login or user.token in self._by_token:
                raise ValueError(f"duplicate login or token for {user.login}")
            self._by_login[user.login.lower()] = user
            self._by_token[user.token] = user

    def by_token(self, token: str) -> User | None:
        return self._by_token.get(token)

    def grant(self, token: str, login: str) -> None:
        """Another token for an existing user (a GitHub App's installation token acts as its bot user)."""
        user = self.by_login(login)
        if user is None:
            raise KeyError(login)
        self._by_token[token] = user

    def set_role(self, login: str, role: Role) -> None:
        """Change a user's permission on the repository (an admin editing collaborators), tokens kept."""
        user = self.by_login(login)
        if user is None:
            raise KeyError(login)
        changed = dataclasses.replace(user, role=role)
        self._by_login[login.lower()] = changed
        for token, holder in list(self._by_token.items()):
            if holder.login == user.login:
                self._by_token[token] = changed

    def by_login(self, login: str) -> User | None:
        """Logins are case-insensitive on GitHub."""
        return self._by_login.get(login.lower())

    def __iter__(self) -> Iterator[User]:
        return iter(self._by_login.values())
