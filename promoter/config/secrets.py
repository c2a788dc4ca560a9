"""Secrets: referenced in config (``{env: NAME}`` or ``{file: PATH}``), read only where they are used.

The config never holds a secret's value; :func:`resolve` reads it from the environment mapping the caller
passes (``os.environ`` in the command line) or from a file, and wraps it in a :class:`Secret` whose
``repr`` and ``str`` do not show it. Errors name the variable or the file, never the value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import final

from promoter.errors import PermanentError


@dataclasses.dataclass(frozen=True)
class EnvRef:
    """The secret is the value of an environment variable."""

    name: str

    def __str__(self) -> str:
        return f"{{env: {self.name}}}"


@dataclasses.dataclass(frozen=True)
class FileRef:
    """The secret is the content of a file (surrounding whitespace, such as a final newline, removed)."""

    path: Path  # absolute: relative paths in config are taken from the config directory

    def __str__(self) -> str:
        return f"{{file: {self.path}}}"


SecretRef = EnvRef | FileRef


@final
class Secret:
    """A secret value that does not show itself: ``reveal()`` it only where it is sent."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class SecretError(PermanentError):
    """A secret that cannot be read: the message names the variable or file, never a value."""


def resolve(ref: SecretRef, environ: Mapping[str, str]) -> Secret:
    """Read the secret ``ref`` points at, now."""
    match ref:
        case EnvRef(name):
            value = environ.get(name)
            if value is None:
                raise SecretError(f"the environment variable {name} is not set")
            if not value.strip():
                raise SecretError(f"the environment variable {name} is empty")
            return Secret(value.strip())
        case FileRef(path):
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise SecretError(f"cannot read the secret file {path}: {exc.strerror or type(exc).__name__}") from None
            except UnicodeDecodeError:
                raise SecretError(f"the secret file {path} is not UTF-8 text") from None
            if not text.strip():
                raise SecretError(f"the secret file {path} is empty")
            return Secret(text.strip())
