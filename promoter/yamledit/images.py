"""Container image references: ``[registry/]repository[:tag][@digest]``.

Two references name the same repository when their normalised names are equal: ``nginx``,
``library/nginx``, ``docker.io/library/nginx`` and ``index.docker.io/library/nginx`` are one repository.
"""

from __future__ import annotations

import dataclasses
import re

_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")


@dataclasses.dataclass(frozen=True)
class ImageRef:
    name: str  # registry and repository as written
    tag: str | None = None
    digest: str | None = None

    @property
    def repository(self) -> str:
        """The normalised repository name, for comparisons only."""
        name = self.name.lower()
        first, _, rest = name.partition("/")
        has_registry = bool(rest) and ("." in first or ":" in first or first == "localhost")
        if not has_registry:
            first, rest = "docker.io", name
        if first in ("index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"):
            first = "docker.io"
        if first == "docker.io" and "/" not in rest:
            rest = f"library/{rest}"
        return f"{first}/{rest}"

    def with_version(self, other: ImageRef) -> ImageRef:
        """This reference's name with ``other``'s tag and digest."""
        return ImageRef(self.name, other.tag, other.digest)

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def parse(text: str) -> ImageRef | None:
    """The reference, or None when the text is not a plain image reference."""
    if not text or text != text.strip() or any(c.isspace() for c in text) or "{{" in text:
        return None
    name, _, digest = text.partition("@")
    tag: str | None = None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
        if not _TAG.match(tag):
            return None
    if not name or not _NAME.match(name) or name.endswith(("/", ":")) or "//" in name:
        return None
    if digest and not _DIGEST.match(digest):
        return None
    return ImageRef(name, tag, digest or None)


def same_repository(a: ImageRef, b: ImageRef) -> bool:
    return a.repository == b.repository
