"""Literal block scalars: their lines in the file, the YAML text inside them, and a new text for them.

A block's value is its content lines less the block's indentation. The empty (or indentation-only) lines
after its last content line belong to the file under clip (``|``) and strip (``|-``) chomping; under keep
(``|+``) their line breaks end the value. Either way an edit rewrites the content lines only and leaves
the bytes after the last one as they were, unless a ``|+`` value asks for more or fewer final breaks.

A kustomize inline patch or Helm values inline in an Argo CD Application is YAML inside a ``|`` block
scalar: a position in that YAML maps to the same line in the file, shifted by the block's indentation.
"""

from __future__ import annotations

import dataclasses
import re
from typing import NamedTuple

from promoter.yamledit.errors import EditError
from promoter.yamledit.source import Document, ScalarNode, Source

_HEADER = re.compile(r"(?:[&!]\S*[ \t]+)*\|(?P<indicators>[1-9][+-]?|[+-][1-9]?)?[ \t]*(?:#.*)?")
# What a literal block cannot hold as it is: YAML's non-printable characters and the breaks it normalises
# (the complement of its printable set, spelt out: a negated class of wide ranges takes 7 ms to compile).
_UNWRITABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


class _RawLine(NamedTuple):
    start: int  # in the file
    text: str  # without its line break
    broken: bool  # a line break ends it (not the end of the file)


class _Line(NamedTuple):
    inner: int  # where the line starts in the block's value
    outer: int  # where it starts in the file
    bare: bool  # written without the block's indentation (an empty or short whitespace line)


@dataclasses.dataclass(frozen=True)
class Block:
    """A literal block scalar opened for editing."""

    text: str  # the value, as the inner document
    lines: tuple[_Line, ...]  # every line of the block after its header, then the position after them
    indent: int
    newline: str  # the file's line break inside the block ("\n" or "\r\n")
    chomping: str  # "-" strip, "" clip, "+" keep
    rest: str  # the line breaks after the value's end that stay in the file (clip and strip)

    def to_outer(self, index: int) -> int:
        """The file position of a position in the value."""
        line = self._line(index)
        column = index - line.inner
        return line.outer if line.bare and column == 0 else line.outer + self.indent + column

    def splice(self, start: int, end: int, text: str) -> tuple[int, int, str]:
        """A splice of the value as it must be made in the file: indented, with the file's line breaks.

        Lines are indented where they hold text (or continue one), so no trailing spaces appear.
        """
        segments = text.split("\n")
        out: list[str] = []
        for i, segment in enumerate(segments):
            if i == 0:
                indented = bool(segment) and self._bare_start(start)
            elif i == len(segments) - 1:
                indented = bool(segment) or not self._bare_start(end)
            else:
                indented = bool(segment)
            out.append(" " * self.indent + segment if indented else segment)
        return self.to_outer(start), self.to_outer(end), self.newline.join(out)

    def value_of(self, text: str) -> str:
        """The value the block reads once its value's text is ``text`` and the lines after it are unchanged."""
        return _chomp(text + self.rest, self.chomping)

    def _line(self, index: int) -> _Line:
        for line in reversed(self.lines):
            if index >= line.inner:
                return line
        raise AssertionError("a position before the block's first line")

    def _bare_start(self, index: int) -> bool:
        line = self._line(index)
        return line.bare and index == line.inner


@dataclasses.dataclass(frozen=True)
class _Layout:
    """Where a literal block's parts lie in the file."""

    header: str  # the indicator and its flags, as written
    chomping: str
    explicit_indent: bool
    newline: str
    first: int  # the start of the line after the header
    raw: tuple[_RawLine, ...]  # every line after the header
    end: int


def open_block(source: Source, doc: Document, node: ScalarNode) -> Block:
    """The block's value with its lines, to edit the YAML inside it."""
    layout = _layout(source, doc, node)
    block = _map_lines(source, doc, node, layout)
    if block is None:
        raise source.error("the block scalar is empty: there is no YAML inside to edit", doc.span(node)[0])
    return block


def command_line_text(text: str, node: ScalarNode) -> str:
    """Text typed for a literal block: without a final line break of its own, it ends as the old value ends.

    Nobody types on a command line the line break that ``|`` adds, nor the blank lines ``|+`` keeps.
    """
    if text.endswith("\n"):
        return text
    old: str = node.value
    return text + "\n" * (len(old) - len(old.rstrip("\n")))


def replace_content(source: Source, doc: Document, node: ScalarNode, value: str) -> tuple[int, int, str]:
    """The splice that gives a literal block scalar a new text, keeping its header, its indentation and
    every byte after its last content line (a ``|+`` block gains or loses empty lines only at its end).

    Refused when the new text's final line breaks do not fit the header's chomping or what follows the
    block, when it holds a character a literal block cannot, or when its first line starts with a space
    (that would need an indentation indicator the header lacks).
    """
    start = doc.span(node)[0]
    layout = _layout(source, doc, node)
    block = _map_lines(source, doc, node, layout)
    if block is None:
        raise source.error("the block scalar is empty, so its indentation is unknown: give it a first line", start)
    bad = _UNWRITABLE.search(value)
    if bad:
        raise source.error(f"the new text holds {bad.group()!r}, which a literal block scalar cannot hold as is", start)
    body = value.rstrip("\n")
    if not body:
        raise source.error("the new text is empty: a literal block scalar needs a line of text", start)
    first_line = next(line for line in body.split("\n") if line)
    if first_line.startswith(" ") and not layout.explicit_indent:
        raise source.error("the new text starts with a space: the block would need an indentation indicator", start)
    last = next(line for line in reversed(layout.raw) if len(line.text) > block.indent)
    content_end = last.start + len(last.text)
    breaks = [m.end() for m in re.finditer("\n", source.text[content_end : layout.end])]
    wanted = len(value) - len(body)
    _check_breaks(source, start, layout, wanted, len(breaks))
    text = block.newline.join((" " * block.indent + line) if line else "" for line in body.split("\n"))
    if layout.chomping == "+" and wanted > len(breaks):
        return layout.first, content_end, text + block.newline * (wanted - len(breaks))
    if layout.chomping == "+" and wanted < len(breaks):
        # Drop the last empty lines: the value's final breaks are the block's trailing lines.
        kept = source.text[content_end : content_end + breaks[wanted - 1]]
        return layout.first, content_end + breaks[-1], text + kept
    return layout.first, content_end, text


def _check_breaks(source: Source, start: int, layout: _Layout, wanted: int, present: int) -> None:
    """Refuse final line breaks that the header and the unchanged lines after the block cannot give."""
    if present == 0 and wanted:
        raise source.error(
            "the block ends the text without a final line break: the new text cannot end with one "
            "(the editor keeps a missing final newline)",
            start,
        )
    fits = {"-": wanted == 0, "": wanted == min(present, 1), "+": (wanted >= 1) == (present >= 1)}[layout.chomping]
    if not fits:
        raise source.error(
            f"the new text ends with {wanted} line break(s), which the block header {layout.header!r} cannot keep; "
            "change the header deliberately",
            start,
        )


def _layout(source: Source, doc: Document, node: ScalarNode) -> _Layout:
    start, end = doc.span(node)
    if node.style != "|":
        kind = "a folded block scalar ('>')" if node.style == ">" else "not a literal block scalar ('|')"
        raise source.error(f"'|' steps into a literal block scalar holding YAML; this value is {kind}", start)
    text = source.text
    header_end = text.find("\n", start, end)
    if header_end < 0:
        header_end = end
    header = text[start:header_end].removesuffix("\r")
    match = _HEADER.fullmatch(header)
    if not match:
        raise source.error(f"unexpected block scalar header {header!r}", start)
    indicators = match.group("indicators") or ""
    newline = "\r\n" if text[header_end - 1 : header_end] == "\r" else "\n"
    raw: list[_RawLine] = []
    position = header_end + 1
    while position < end:
        stop = text.find("\n", position, end)
        broken = stop >= 0
        if not broken:
            stop = end
        raw.append(_RawLine(position, text[position:stop].removesuffix("\r"), broken))
        position = stop + 1
    return _Layout(
        header="|" + indicators,
        chomping="-" if "-" in indicators else "+" if "+" in indicators else "",
        explicit_indent=any(c.isdigit() for c in indicators),
        newline=newline,
        first=header_end + 1,
        raw=tuple(raw),
        end=end,
    )


def _map_lines(source: Source, doc: Document, node: ScalarNode, layout: _Layout) -> Block | None:
    """The block with its lines mapped to its value, or None when it has no content line."""
    widths = [len(line.text) - len(line.text.lstrip(" ")) for line in layout.raw if line.text.strip()]
    if not widths:
        return None
    value: str = node.value
    # The indentation is the one that reads the lines as the parser did (an indicator may set it lower).
    for indent in range(widths[0], 0, -1):
        parts = [line.text[indent:] + ("\n" if line.broken else "") for line in layout.raw]
        joined = "".join(parts)
        if _chomp(joined, layout.chomping) != value:
            continue
        lines: list[_Line] = []
        inner = 0
        for part, line in zip(parts, layout.raw, strict=True):
            lines.append(_Line(inner, line.start, len(line.text) < indent))
            inner += len(part)
        if layout.raw[-1].broken:
            lines.append(_Line(inner, layout.end, True))  # just after the last line's break
        return Block(value, tuple(lines), indent, layout.newline, layout.chomping, joined[len(value) :])
    raise EditError("could not map the block scalar's content to its lines", *source.position(doc.span(node)[0]))


def _chomp(text: str, chomping: str) -> str:
    """The value of block lines ``text`` (joined by "\\n", each with its break) under a chomping indicator."""
    body = text.rstrip("\n")
    if chomping == "+":
        return text
    if chomping == "-" or not body or body == text:
        return body
    return body + "\n"
