"""The value types of the config files, each refusing bad values with a message for the person editing.

Durations, names, URLs, files of the config repo, image names, ``set`` paths and value templates. A refused
value raises :class:`PydanticCustomError`; the loader adds file, line, column and field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, PlainValidator
from pydantic_core import PydanticCustomError

from promoter.config import durations
from promoter.yamledit import images, paths


def refuse(kind: str, reason: str) -> PydanticCustomError:
    # The reason goes through the context, so braces in it ("{version}") are not read as a template.
    return PydanticCustomError(kind, "{reason}", {"reason": reason})


def _check(kind: str, test: Callable[[str], str | None]) -> AfterValidator:
    """A string check: ``test`` returns the reason the value is refused, or None."""

    def validate(value: str) -> str:
        reason = test(value)
        if reason is not None:
            raise refuse(kind, reason)
        return value

    return AfterValidator(validate)


def _matching(pattern: str, reason: str) -> Callable[[str], str | None]:
    compiled = re.compile(pattern)
    return lambda value: None if compiled.fullmatch(value) else reason


# durations ----------------------------------------------------------------------------------------


def _duration(value: object) -> dt.timedelta:
    try:
        return durations.parse(value)
    except durations.DurationError as exc:
        raise refuse("duration", str(exc)) from None


def _positive(value: dt.timedelta) -> dt.timedelta:
    if value <= dt.timedelta(0):
        raise refuse("duration", "must be longer than 0s")
    return value


Duration = Annotated[dt.timedelta, PlainValidator(_duration)]
PositiveDuration = Annotated[dt.timedelta, PlainValidator(_duration), AfterValidator(_positive)]

# names and text -----------------------------------------------------------------------------------

Text = Annotated[str, _check("blank", lambda v: "must not be empty" if not v.strip() else None)]
Name = Annotated[
    str,
    _check(
        "name", _matching(r"[a-z0-9][a-z0-9-]*", "a name is lowercase letters, digits and '-', not starting with '-'")
    ),
]
EnvName = Annotated[str, _check("env", _matching(r"[A-Za-z_][A-Za-z0-9_]*", "expected a variable name"))]
Repository = Annotated[str, _check("repository", _matching(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", "expected owner/name"))]
Email = Annotated[str, _check("email", _matching(r"[^@\s]+@[^@\s]+", "expected an email address"))]


def _branch(value: str) -> str | None:
    if not value or any(c.isspace() for c in value) or ".." in value or value.startswith(("-", "/")):
        return "expected a branch name"
    return None


Branch = Annotated[str, _check("branch", _branch)]

# URLs ---------------------------------------------------------------------------------------------


def _http_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "expected an http:// or https:// URL"
    if parts.password is not None:
        return "the URL holds a password: give the token as {env: NAME} or {file: PATH} instead"
    return None


def _database_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme.partition("+")[0] not in ("sqlite", "postgresql"):
        return "expected a sqlite:/// or postgresql:// URL"
    if parts.password is not None:
        return "the URL holds a password: write {env: NAME} or {file: PATH} instead"
    return None


HttpUrl = Annotated[str, _check("url", _http_url)]
DatabaseUrl = Annotated[str, _check("url", _database_url)]

# targets ------------------------------------------------------------------------------------------


def _repo_file(value: str) -> str | None:
    """A path inside the config repo: relative, no ``..``."""
    if not value.strip():
        return "must not be empty"
    path = PurePosixPath(value)
    if path.is_absolute() or value.startswith("~") or "\\" in value:
        return "a file of the config repo is written relative to the repository root"
    if ".." in path.parts:
        return "a file of the config repo cannot leave it: '..' is not allowed"
    if not path.parts:  # "." or "./"
        return "expected a file of the config repo"
    return None


def _image(value: str) -> str | None:
    ref = images.parse(value)
    if ref is None:
        return "expected an image name such as ghcr.io/acme/app"
    if ref.tag is not None or ref.digest is not None:
        return f"write the image without a tag or digest ({ref.name}): the version supplies it"
    return None


def _set_path(value: str) -> str | None:
    try:
        paths.parse(value)
    except paths.PathError as exc:
        return str(exc)
    return None


_BRACES = re.compile(r"\{[^{}]*\}")


def _set_value(value: object) -> str:
    """A value template: text where ``{version}`` is the only placeholder; an integer or boolean is fine."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value
    else:
        raise refuse("set_value", 'expected a string (quote numbers with a fraction: "1.10")')
    rest = text.replace("{version}", "")
    if "{" in rest or "}" in rest:
        found = _BRACES.search(rest)
        other = f"found {found.group(0)}" if found else "found a stray brace"
        raise refuse("placeholder", f"{{version}} is the only placeholder a value may hold; {other}")
    return text


def _resource(value: str) -> str | None:
    kind, slash, name = value.partition("/")
    if (
        not slash
        or not re.fullmatch(r"[A-Z][A-Za-z0-9]*", kind)
        or not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", name)
    ):
        return "expected Kind/name, such as Deployment/guestbook-canary"
    return None


RepoFile = Annotated[str, _check("file", _repo_file)]
ResourceName = Annotated[str, _check("resource", _resource)]
ImageName = Annotated[str, _check("image", _image)]
SetPath = Annotated[str, _check("path", _set_path)]
SetValue = Annotated[str, PlainValidator(_set_value)]
