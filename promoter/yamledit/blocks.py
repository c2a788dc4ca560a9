"""The YAML text inside a literal block scalar, and where each of its characters lies in the file.

A kustomize inline patch or Helm values inline in an Argo CD Application is YAML inside a ``|`` block
scalar. Its content is the block's lines less the block's indentation, so a position in the content maps
to the same line in the file, shifted by that indentation.
"""

from __future__ import annotations

import dataclasses
import re

from promoter.yamledit.errors import EditError
from promoter.yamledit.source import Document, ScalarNode, Source

_HEADER = re.compile(r"^\|[1-9+-]{0,2}[ \t]*(?:#[^\n]*)?$")


@dataclasses.dataclass(frozen=True)
class Block:
    """A literal block scalar opened for editing."""

    text: str  # the content, lines joined by "\n", as the inner document
    lines: tuple[tuple[int, int, int], ...]  # per content line: inner start, outer start, outer length
    indent: int
    newline: str  # the file's line break inside the block ("\n" or "\r\n")

    def to_outer(self, index: int) -> int:
        """The file position of a content position."""
        for inner_start, outer_start, outer_length in reversed(self.lines):
            if index >= inner_start:
                column = index - inner_start
                if outer_length == 0 and column == 0:
                    return outer_start
                return outer_start + self.indent + column
        raise AssertionError("content position before the first line")

    def outer_text(self, inserted: str) -> str:
        """Inserted content text as it must appear in the file (indented, with the file's line breaks)."""
        return inserted.replace("\n", self.newline + " " * self.indent)


def open_block(source: Source, doc: Document, node: ScalarNode) -> Block:
    start, end = doc.span(node)
    if node.style != "|":
        kind = "a folded block scalar ('>')" if node.style == ">" else "not a literal block scalar ('|')"
        raise source.error(f"'|' steps into a literal block scalar holding YAML; this value is {kind}", start)
    text = source.text
    header_end = text.index("\n", start) if "\n" in text[start:end] else end
    header = text[start:header_end].rstrip("\r")
    if not _HEADER.match(header):
        raise source.error(f"unexpected block scalar header {header!r}", start)
    newline = "\r\n" if text[header_end - 1 : header_end] == "\r" else "\n"
    raw: list[tuple[int, str]] = []  # (outer start, line without its line break)
    position = header_end + 1
    while position < end:
        stop = text.find("\n", position, end)
        if stop < 0:
            stop = end
        raw.append((position, text[position:stop].removesuffix("\r")))
        position = stop + 1
    widths = [len(line) - len(line.lstrip(" ")) for _, line in raw if line.strip()]
    if not widths:
        raise source.error("the block scalar is empty: there is no YAML inside to edit", start)
    value: str = node.value
    for indent in range(widths[0], 0, -1):
        content = [line[indent:] if len(line) >= indent else "" for _, line in raw]
        joined = "\n".join(content)
        if joined.rstrip("\n") == value.rstrip("\n"):
            lines: list[tuple[int, int, int]] = []
            inner = 0
            for (outer_start, line), part in zip(raw, content, strict=True):
                lines.append((inner, outer_start, len(line) if len(line) >= indent else 0))
                inner += len(part) + 1
            return Block(joined, tuple(lines), indent, newline)
    raise EditError("could not map the block scalar's content to its lines", *source.position(start))


def replace_content(source: Source, doc: Document, node: ScalarNode, value: str) -> tuple[int, int, str]:
    """The splice that gives a literal block scalar a new text, keeping its header and indentation.

    Refused when the new text's trailing line breaks do not fit the header's chomping indicator, or when
    its first line starts with a space (that would need an indentation indicator the header lacks).
    """
    start, end = doc.span(node)
    block = open_block(source, doc, node)
    header = source.text[start : source.text.index("\n", start)].split("#", 1)[0]
    trailing = len(value) - len(value.rstrip("\n"))
    chomping = "-" if "-" in header else "+" if "+" in header else ""
    fits = {"-": trailing == 0, "": trailing == 1, "+": trailing >= 1}[chomping]
    if not fits:
        raise source.error(
            f"the new text ends with {trailing} line break(s), which the block header {header.strip()!r} cannot "
            "keep; change the header deliberately",
            start,
        )
    if value[:1] == " " and not any(c.isdigit() for c in header):
        raise source.error("the new text starts with a space: the block would need an indentation indicator", start)
    body = value[:-1] if chomping == "" else value
    lines = body.split("\n")
    if chomping == "+":
        lines = body.removesuffix("\n").split("\n") + [""] * (trailing - 1)
    region_start = block.lines[0][1]
    text = "".join(((" " * block.indent + line) if line else "") + block.newline for line in lines)
    if not source.text[start:end].endswith("\n"):
        text = text.removesuffix(block.newline)
    return region_start, end, text
