"""Finding the resources a decision asks for in the config repo at a commit (the shell's half of it).

A whole-file target or a named file is read; a resource known by kind and name only is looked for in the
files whose text mentions the name (``git grep``, no checkout), and :func:`promoter.core.resources.locate`
picks the one document that holds it.
"""

from __future__ import annotations

from collections.abc import Iterable

from promoter.core import resources
from promoter.core.resources import Located
from promoter.core.strategies import ResourceRef
from promoter.engine.runtime import Runtime


def locate(
    rt: Runtime, refs: Iterable[ResourceRef], commit: str, where: str | None = None
) -> dict[ResourceRef, Located]:
    """Each resource at ``commit`` (``where`` names it in messages: "the base branch at 1a2b3c")."""
    where = where or commit[:12]
    found: dict[ResourceRef, Located] = {}
    texts: dict[str, str | None] = {}  # files read once per call: several refs often share one

    def read(path: str) -> str | None:
        if path not in texts:
            texts[path] = rt.repo.read(path, commit)
        return texts[path]

    for ref in dict.fromkeys(refs):
        if ref.file is not None:
            paths = [ref.file]
        else:
            assert ref.name is not None  # a resource without a file is named
            paths = rt.repo.candidates(commit, ref.name)
        found[ref] = resources.locate(ref, {path: read(path) for path in paths}, where)
    return found
