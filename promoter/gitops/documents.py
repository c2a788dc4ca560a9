"""A YAML (or JSON) file's mapping documents as plain data, each with the line it starts on: how the repo
reading names where an Application was defined.

The line reader (:mod:`.linereader`) reads most files (libyaml checks them in C); the parser
(:func:`.manifests.load_documents`) the rest, its documents then matched to the lines the markers start.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from promoter.gitops import linereader, manifests
from promoter.gitops.manifests import Manifest, ManifestError

_MARKER = re.compile(r"(---|\.\.\.)(?=[ \t]|$)")


def of(text: str, where: str) -> list[tuple[int, Manifest]]:
    """The mapping documents of a YAML file with the 1-based line each starts on (``ManifestError`` if the
    file does not parse: its message names the line)."""
    quick = linereader.read_documents(text)  # (the line reader, a tenth of the parser's time; None: it cannot)
    if quick is not None:
        return [(line, document) for line, document in quick if manifests.mapping(document, where)]
    return parsed(text, where)


def parsed(text: str, where: str) -> list[tuple[int, Manifest]]:
    """:func:`of` by the parser, whatever the text."""
    loaded = manifests.load_documents(text, where)
    if not loaded:
        return []
    starts = [start for start, _ in chunks(text) if start]
    if len(starts) == len(loaded):
        return list(zip(starts, loaded, strict=True))
    found: list[tuple[int, Manifest]] = []  # a null document, or a marker the splitter misread: one by one
    try:
        for start, chunk in chunks(text):
            found += [(start or 1, document) for document in manifests.load_documents(chunk, where)]
    except ManifestError:
        return [(1, document) for document in loaded]  # the file parses whole: only the lines are lost
    return found if len(found) == len(loaded) else [(1, document) for document in loaded]


def chunks(text: str) -> Iterator[tuple[int, str]]:
    """Each document's text (blank lines keep the line numbers) and its first line of content (0: none)."""
    lines = text.splitlines(keepends=True)
    start, begun = 0, 0
    for number, line in enumerate([*lines, "---\n"], start=1):
        marker = _MARKER.match(line)
        if marker or number > len(lines):
            if begun:
                yield start, "".join("\n" if i < begun - 1 else lines[i] for i in range(min(number - 1, len(lines))))
            begun, start = number, 0
            rest = line[marker.end() :] if marker else ""
            if marker and marker.group(1) == "---" and _content(rest):
                start = number
            continue
        if not begun:
            begun = number
        if not start and _content(line) and not line.startswith("%"):
            start = number


def _content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")
