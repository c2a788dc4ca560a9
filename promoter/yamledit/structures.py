"""Whole structures spliced in the file's own layout: a list item or a mapping key inserted, replaced, removed.

Where :mod:`promoter.yamledit.inserts` adds small flat entries, these add nested ones (a route with its
matches and destinations), rendered as block YAML in the layout the file already uses: how far its lists
and mappings indent, the gap after ``-``, its line break. A removal takes exactly the lines an item spans,
from the start of its ``-`` line to the end of its last line, so the comments around it stay with their
neighbours; inserting and then removing gives the original bytes back. Each change carries the expectation
the verifier checks after re-parsing.
"""

from __future__ import annotations

import collections
import dataclasses
import decimal
import math
from collections.abc import Iterator

from promoter.yamledit import inserts, scalars
from promoter.yamledit.editor import Plan, Splice, commit
from promoter.yamledit.errors import EditError
from promoter.yamledit.locate import Step
from promoter.yamledit.source import Document, MappingNode, Node, ScalarNode, SequenceNode, Source
from promoter.yamledit.verify import Becomes, Expectation, Inserted, KeyAdded, KeyRemoved, Plain, Removed


@dataclasses.dataclass(frozen=True)
class Change:
    splice: Splice
    expectation: Expectation


def apply(source: Source, change: Change) -> str:
    """Splice the change in and verify it: the one intended change, every other document byte-identical."""
    start, end = source.bounds(change.expectation.doc)
    if not start <= change.splice.start <= change.splice.end <= end:
        raise EditError("internal check failed: the change reaches outside its document; refusing to write")
    # The verifier checks that the file still has as many documents: the others are then the same bytes.
    return commit(source, Plan((change.splice,), (change.expectation,)))


# the file's layout ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Layout:
    """How the file indents what it nests, measured on its own lines."""

    sequence: int  # a block list's '-' column minus its key's column: 0 in ``key:\n- a``, 2 in ``key:\n  - a``
    gap: int  # a list item's content column minus its '-' column: 2 in ``- a``
    mapping: int  # a nested mapping's first key column minus its parent key's column
    newline: str


def layout(source: Source, doc: Document, near: Node, near_key: ScalarNode | None = None) -> Layout:
    """The layout nearest ``near``: inside it first, then ``near`` under its own key, then the whole document.

    Files mix styles (``hosts:`` indented, ``http:`` not), so the nearest example is the one to copy.
    """
    own = [(near_key, near)] if near_key is not None else []
    pairs = [*_pairs(near), *own, *_pairs(doc.root)]
    lists: tuple[int, int] | None = None  # sequence, gap
    mapping: int | None = None
    for key, value in pairs:
        key_column = _column(source.text, doc.span(key)[0])
        if not isinstance(value, MappingNode | SequenceNode) or value.flow_style or not value.value:
            continue
        if isinstance(value, SequenceNode) and lists is None:
            columns = _item_columns(source, doc, value.value[0])
            if columns is not None:
                lists = columns[0] - key_column, columns[1] - columns[0]
        elif isinstance(value, MappingNode) and mapping is None:
            mapping = _column(source.text, doc.span(value.value[0][0])[0]) - key_column
    sequence, gap = lists if lists is not None else (0, 2)
    return Layout(
        sequence=max(sequence, 0),
        gap=max(gap, 2),
        mapping=mapping if mapping is not None and mapping >= 1 else 2,
        newline=inserts.newline_of(source),
    )


def _pairs(root: Node | None) -> Iterator[tuple[ScalarNode, Node]]:
    """Every (key, value) under ``root``, nearest first."""
    queue: collections.deque[Node | None] = collections.deque([root])
    seen: set[int] = set()
    while queue:
        node = queue.popleft()
        if id(node) in seen:  # an alias: the same node again
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(key, ScalarNode):
                    yield key, value
                queue.append(value)
        elif isinstance(node, SequenceNode):
            queue.extend(node.value)


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _column(text: str, index: int) -> int:
    return index - _line_start(text, index)


def _item_columns(source: Source, doc: Document, item: Node) -> tuple[int, int] | None:
    """The columns of a list item's '-' and of its content, when only spaces come before the '-'."""
    start = doc.span(item)[0]
    line_start = _line_start(source.text, start)
    before = source.text[line_start:start].rstrip(" ")
    if not before.endswith("-") or before[:-1].strip(" "):
        return None
    return len(before) - 1, start - line_start


# rendering ------------------------------------------------------------------------------------


def _token(value: Plain) -> str:
    """A scalar written plain when it reads back as itself under YAML 1.1 and 1.2, double-quoted otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_token(value)
    if isinstance(value, str):
        return value if scalars.plain_safe(value, flow=False) else scalars.double_quoted(value)
    assert not value, "non-empty collections are rendered as blocks"
    return "{}" if isinstance(value, dict) else "[]"


def _float_token(value: float) -> str:
    """Positional notation with a dot: YAML 1.1 reads ``1e-05`` as a string, ``0.00001`` as a float."""
    if not math.isfinite(value):
        raise EditError(f"{value} is not a number promoter writes")
    text = format(decimal.Decimal(repr(value)), "f")
    return text if "." in text else text + ".0"


def _mapping_lines(mapping: dict[str, Plain], column: int, layout: Layout) -> list[str]:
    lines: list[str] = []
    for key, value in mapping.items():
        head = " " * column + _token(key) + ":"
        if isinstance(value, dict) and value:
            lines.append(head)
            lines.extend(_mapping_lines(value, column + layout.mapping, layout))
        elif isinstance(value, list) and value:
            lines.append(head)
            for item in value:
                lines.extend(_item_lines(item, column + layout.sequence, layout.gap, layout))
        else:
            lines.append(f"{head} {_token(value)}")
    return lines


def _item_lines(item: Plain, dash: int, gap: int, layout: Layout) -> list[str]:
    """A list item whose '-' is at ``dash`` and whose content starts ``gap`` columns later."""
    lead = " " * dash + "-" + " " * (gap - 1)
    content = dash + gap
    if isinstance(item, dict) and item:
        inner = _mapping_lines(item, content, layout)
    elif isinstance(item, list) and item:
        inner = [line for sub in item for line in _item_lines(sub, content, layout.gap, layout)]
    else:
        return [lead + _token(item)]
    return [lead + inner[0][content:], *inner[1:]]


# spans ------------------------------------------------------------------------------------------


def _end_of_lines(source: Source, doc: Document, node: Node) -> int:
    """Just after the line where ``node``'s text ends (its last leaf: block collections end further on)."""
    last = node
    while isinstance(last, MappingNode | SequenceNode) and not last.flow_style and last.value:
        last = last.value[-1] if isinstance(last, SequenceNode) else _pair_end(*last.value[-1])
    start, end = doc.span(last)
    # A block scalar's span runs over the blank lines after it; they are the file's, not the node's.
    end = start + len(source.text[start:end].rstrip())
    newline = source.text.find("\n", end)
    return len(source.text) if newline < 0 else newline + 1


def _pair_end(key: Node, value: Node) -> Node:
    """The node whose text ends a ``key: value`` pair: an empty value is marked where the next token starts."""
    empty = isinstance(value, ScalarNode) and value.value == "" and not value.style
    return key if empty else value


def _item_span(source: Source, doc: Document, item: Node) -> tuple[int, int]:
    """The lines of a list item: from the start of its '-' line to the end of its last line."""
    start = doc.span(item)[0]
    if _item_columns(source, doc, item) is None:
        raise source.error("the list item does not begin its own line with '-': cannot take it out by lines", start)
    return _line_start(source.text, start), _end_of_lines(source, doc, item)


def _above_comments(source: Source, line_start: int, floor: int | None) -> int:
    """Move up over the comment lines just above a line: they describe the item below them, which keeps them.

    Never above ``floor`` (the end of whatever comes before), where a ``#`` line may be block scalar text.
    """
    if floor is None:
        return line_start
    while line_start > floor:
        previous = _line_start(source.text, line_start - 1)
        if not source.text[previous:line_start].lstrip(" ").startswith("#"):
            break
        line_start = previous
    return line_start


def _lines_splice(source: Source, start: int, end: int, lines: list[str], newline: str) -> Splice:
    """Put whole lines in place of ``text[start:end]``; a file without a final line break keeps it so."""
    body = "".join(line + newline for line in lines)
    if end == len(source.text) and not source.text.endswith("\n"):
        body = newline + body[: -len(newline)] if start == end else body[: -len(newline)]
    return Splice(start, end, body)


def _removal(source: Source, start: int, end: int) -> Splice:
    """Take out whole lines; the file's last line, without a line break, takes the break before it instead."""
    text = source.text
    if end == len(text) and not text.endswith("\n") and start > 0:
        start -= 2 if text[start - 2 : start] == "\r\n" else 1
    return Splice(start, end, "")


def _block_list(source: Source, doc: Document, seq: SequenceNode, where: str) -> None:
    if seq.flow_style or not seq.value:
        raise source.error(
            f"{where} is a flow list ([...]): promoter inserts and removes whole items only in block lists",
            doc.span(seq)[0],
        )


def _where(steps: tuple[Step, ...]) -> str:
    return ".".join(str(s) for s in steps) or "the document root"


# changes ----------------------------------------------------------------------------------------


def insert_item(
    source: Source,
    doc: Document,
    seq: SequenceNode,
    steps: tuple[Step, ...],
    index: int,
    value: Plain,
    *,
    key: ScalarNode | None = None,
) -> Change:
    """Insert ``value`` as item ``index`` of a block list (``len`` appends), laid out like its first item.

    The new item goes above the comment lines that sit just above the item it goes before. ``key`` is the
    list's own key: the layout falls back on the list's own indentation, and comments never move past it.
    """
    _block_list(source, doc, seq, _where(steps))
    first = doc.span(seq.value[0])[0]
    columns = _item_columns(source, doc, seq.value[0])
    if columns is None:
        raise source.error("the list's first item does not begin its own line with '-'", first)
    shape = layout(source, doc, seq, key)
    lines = _item_lines(value, columns[0], columns[1] - columns[0], shape)
    if index == len(seq.value):
        position = _end_of_lines(source, doc, seq.value[-1])
    else:
        before = seq.value[index - 1] if index > 0 else key
        floor = _end_of_lines(source, doc, before) if before is not None else None
        position = _above_comments(source, _item_span(source, doc, seq.value[index])[0], floor)
    splice = _lines_splice(source, position, position, lines, shape.newline)
    return Change(splice, Expectation(doc.index, steps, Inserted(index, value)))


def replace_item(
    source: Source,
    doc: Document,
    seq: SequenceNode,
    steps: tuple[Step, ...],
    index: int,
    value: Plain,
    *,
    key: ScalarNode | None = None,
) -> Change:
    """Write item ``index`` of a block list anew as ``value``, at its own '-' column."""
    _block_list(source, doc, seq, _where(steps))
    item = seq.value[index]
    start, end = _item_span(source, doc, item)
    columns = _item_columns(source, doc, item)
    assert columns is not None  # _item_span checked it
    shape = layout(source, doc, seq, key)
    lines = _item_lines(value, columns[0], columns[1] - columns[0], shape)
    splice = _lines_splice(source, start, end, lines, shape.newline)
    return Change(splice, Expectation(doc.index, (*steps, index), Becomes(value)))


def remove_item(source: Source, doc: Document, seq: SequenceNode, steps: tuple[Step, ...], index: int) -> Change:
    """Take item ``index`` out of a block list, with exactly its own lines."""
    _block_list(source, doc, seq, _where(steps))
    if len(seq.value) == 1:
        raise source.error(
            f"{_where(steps)} has only this item: removing it would leave an empty list", doc.span(seq)[0]
        )
    splice = _removal(source, *_item_span(source, doc, seq.value[index]))
    return Change(splice, Expectation(doc.index, steps, Removed(index)))


def add_key(
    source: Source, doc: Document, mapping: MappingNode, steps: tuple[Step, ...], key: str, value: Plain
) -> Change:
    """Add ``key: value`` (any structure) at the end of a block mapping, at its keys' column."""
    start = doc.span(mapping)[0]
    if mapping.flow_style or not mapping.value:
        raise source.error(f"{_where(steps)} is a flow mapping ({{...}}): promoter adds keys only to block ones", start)
    if any(isinstance(k, ScalarNode) and k.value == key for k, _ in mapping.value):
        raise source.error(f"{_where(steps)} already has {key!r}", start)
    column = _column(source.text, doc.span(mapping.value[0][0])[0])
    shape = layout(source, doc, mapping)
    position = _end_of_lines(source, doc, mapping)
    splice = _lines_splice(source, position, position, _mapping_lines({key: value}, column, shape), shape.newline)
    return Change(splice, Expectation(doc.index, steps, KeyAdded(key, value)))


def remove_key(source: Source, doc: Document, mapping: MappingNode, steps: tuple[Step, ...], key: str) -> Change:
    """Take ``key`` and its value out of a block mapping, with exactly their own lines."""
    where = _where(steps)
    found = [i for i, (k, _) in enumerate(mapping.value) if isinstance(k, ScalarNode) and k.value == key]
    if mapping.flow_style or len(found) != 1:
        raise source.error(f"cannot remove {key!r} from {where} by lines", doc.span(mapping)[0])
    i = found[0]
    key_node, value = mapping.value[i]
    key_start = doc.span(key_node)[0]
    line_start = _line_start(source.text, key_start)
    before = source.text[line_start:key_start].strip(" ")
    if not before:
        splice = _removal(source, line_start, _end_of_lines(source, doc, _pair_end(key_node, value)))
    elif before == "-" and i + 1 < len(mapping.value):
        # The key begins a list item: the next key moves up onto the item's '-' line.
        splice = Splice(key_start, doc.span(mapping.value[i + 1][0])[0], "")
    else:
        raise source.error(f"{key!r} does not begin its own line: cannot take it out of {where} by lines", key_start)
    return Change(splice, Expectation(doc.index, steps, KeyRemoved(key)))
