"""Finding a resource of the config repo in file texts, and reading values from it. Pure: text in, values out.

The shell hands over candidate files (for a kind and name: the files whose text mentions the name, found with
``git grep``); here the YAML is parsed and the one document holding the resource is chosen, or the reason there
is none (or several) is given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from promoter.core.strategies import ResourceRef
from promoter.yamledit.errors import EditError
from promoter.yamledit.source import Source
from promoter.yamledit.verify import plain


@dataclasses.dataclass(frozen=True)
class Found:
    """A resource's file and text; ``doc`` is the document holding it (None: the whole file is the target)."""

    path: str
    text: str
    doc: int | None = None

    def value(self) -> Any:
        """The resource as plain values (the document ``doc``; the first document for a whole file)."""
        for document in Source(self.text).quick_documents():
            if self.doc is None or document.index == self.doc:
                return plain(document.root)
        return None


Located = Found | str  # the resource, or why it cannot be used


def locate(ref: ResourceRef, candidates: Mapping[str, str | None], where: str) -> Located:
    """The resource among ``candidates`` (path -> text, None for a missing file); ``where`` names the commit."""
    if ref.whole_file:
        assert ref.file is not None
        text = candidates.get(ref.file)
        return Found(ref.file, text) if text is not None else f"{ref.file}: not found on {where}"
    if ref.file is not None and candidates.get(ref.file) is None:
        return f"{ref.file}: not found on {where}"
    hits: list[Found] = []
    for path, text in sorted(candidates.items()):
        if text is None or (ref.file is not None and path != ref.file):
            continue
        try:
            hits.extend(Found(path, text, index) for index in _documents(text, ref))
        except EditError:
            continue  # a file that does not parse holds nothing promoter can edit
    if len(hits) == 1:
        return hits[0]
    if not hits:
        return f"no {ref} on {where}"
    places = ", ".join(f"{h.path} (document {h.doc})" for h in hits)
    return f"{ref} is in {len(hits)} places on {where}: {places}; name the file (and doc) in the target"


def _documents(text: str, ref: ResourceRef) -> list[int]:
    found = []
    for document in Source(text).quick_documents():
        if ref.doc is not None and document.index != ref.doc:
            continue
        value = plain(document.root)
        if not isinstance(value, dict) or value.get("kind") != ref.kind:
            continue
        metadata = value.get("metadata")
        if ref.name is None or (isinstance(metadata, dict) and metadata.get("name") == ref.name):
            found.append(document.index)
    return found


def replicas(found: Found) -> int | None:
    """``spec.replicas`` of a workload, when it says (None: it does not, e.g. left to an autoscaler)."""
    spec = _spec(found)
    count = spec.get("replicas")
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def selector(found: Found, key: str) -> str | None:
    """A Service's ``spec.selector.<key>``."""
    chosen = _spec(found).get("selector")
    value = chosen.get(key) if isinstance(chosen, dict) else None
    return str(value) if value is not None else None


def _spec(found: Found) -> dict[str, Any]:
    value = found.value()
    spec = value.get("spec") if isinstance(value, dict) else None
    return spec if isinstance(spec, dict) else {}
