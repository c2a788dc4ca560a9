"""Adding a list item or a mapping key in the file's own layout.

Used where a semantic edit has to create something (a kustomize ``images:`` entry, a missing
``newTag``): the new lines copy the indentation and line breaks of their neighbours, everything else
stays byte-identical, and the verifier checks that exactly that item or key appeared.
"""

from __future__ import annotations

from promoter.yamledit import scalars
from promoter.yamledit.editor import Splice
from promoter.yamledit.errors import EditError
from promoter.yamledit.locate import Step
from promoter.yamledit.source import Document, MappingNode, Node, ScalarNode, SequenceNode, Source
from promoter.yamledit.verify import Appended, Expectation, KeyAdded

Fields = dict[str, str]


def newline_of(source: Source) -> str:
    return "\r\n" if "\r\n" in source.text else "\n"


def _scalar(value: str, *, flow: bool = False) -> str:
    return value if scalars.plain_safe(value, flow=flow) else scalars.double_quoted(value)


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _column(text: str, index: int) -> int:
    return index - _line_start(text, index)


def _last_scalar(node: Node) -> Node:
    while isinstance(node, MappingNode | SequenceNode) and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, MappingNode) else last
    return node


def _after_line(source: Source, doc: Document, node: Node) -> tuple[int, str]:
    """The position just after the line where ``node``'s last scalar ends, and a prefix if no line break."""
    last = _last_scalar(node)
    end = doc.span(last)[1]
    if isinstance(last, ScalarNode) and last.style in ("|", ">"):
        # A block scalar's span already ends after its last line.
        return end, ""
    newline_at = source.text.find("\n", end)
    if newline_at < 0:
        return len(source.text), newline_of(source)
    return newline_at + 1, ""


def append_item(
    source: Source, doc: Document, seq: SequenceNode, steps: tuple[Step, ...], fields: Fields
) -> tuple[Splice, Expectation]:
    expectation = Expectation(doc.index, steps, Appended(dict(fields)))
    start, end = doc.span(seq)
    if seq.flow_style:
        inner = ", ".join(f"{k}: {_scalar(v, flow=True)}" for k, v in fields.items())
        close = source.text.rfind("]", start, end)
        if close < 0:
            raise source.error("cannot find the end of the flow list", start)
        separator = ", " if seq.value else ""
        return Splice(close, close, f"{separator}{{{inner}}}"), expectation
    if not seq.value:
        raise source.error("the list is empty and not in flow style: nothing to copy the layout from", start)
    first_start = doc.span(seq.value[0])[0]
    dash = source.text.rfind("-", _line_start(source.text, first_start), first_start)
    if dash < 0:
        raise source.error("cannot find the first item's '-'", first_start)
    item_column = _column(source.text, first_start)
    dash_column = _column(source.text, dash)
    nl = newline_of(source)
    position, prefix = _after_line(source, doc, seq)
    lines = []
    for i, (k, v) in enumerate(fields.items()):
        lead = " " * dash_column + "-" + " " * (item_column - dash_column - 1) if i == 0 else " " * item_column
        lines.append(f"{lead}{k}: {_scalar(v)}{nl}")
    return Splice(position, position, prefix + "".join(lines)), expectation


def add_key(
    source: Source,
    doc: Document,
    mapping: MappingNode,
    steps: tuple[Step, ...],
    key: str,
    value: str | list[Fields],
) -> tuple[Splice, Expectation]:
    """Add ``key: value`` (a scalar, or a block list of small mappings) at the end of a mapping."""
    plain_value: object = value if isinstance(value, str) else [dict(f) for f in value]
    expectation = Expectation(doc.index, steps, KeyAdded(key, plain_value))  # type: ignore[arg-type]
    start, end = doc.span(mapping)
    nl = newline_of(source)
    if mapping.flow_style:
        if not isinstance(value, str):
            raise source.error("will not add a block list inside a flow mapping", start)
        close = source.text.rfind("}", start, end)
        separator = ", " if mapping.value else ""
        return Splice(close, close, f"{separator}{key}: {_scalar(value, flow=True)}"), expectation
    if not mapping.value:
        raise EditError("cannot add a key to an empty mapping")
    key_column = _column(source.text, doc.span(mapping.value[0][0])[0])
    if steps == () and doc.root is mapping:
        position = doc.end
        explicit_end = source.text.rfind("\n...", doc.start, doc.end)
        if explicit_end >= 0 and not source.text[explicit_end + 4 : doc.end].strip(" \t\r\n"):
            position = explicit_end + 1  # before the document's '...' end marker
        prefix = "" if source.text[:position].endswith("\n") or position == 0 else nl
    else:
        position, prefix = _after_line(source, doc, mapping)
    indent = " " * key_column
    if isinstance(value, str):
        body = f"{indent}{key}: {_scalar(value)}{nl}"
    else:
        dash = indent + " " * _sequence_indent(source, doc)
        body = f"{indent}{key}:{nl}"
        for fields in value:
            for i, (k, v) in enumerate(fields.items()):
                lead = f"{dash}- " if i == 0 else dash + "  "
                body += f"{lead}{k}: {_scalar(v)}{nl}"
    return Splice(position, position, prefix + body), expectation


def _sequence_indent(source: Source, doc: Document) -> int:
    """How far this document indents a block list under its key (0 for ``key:\\n- a``, 2 for ``key:\\n  - a``)."""
    root = doc.root
    if isinstance(root, MappingNode):
        for key, value in root.value:
            if isinstance(value, SequenceNode) and value.value and not value.flow_style:
                first = doc.span(value.value[0])[0]
                dash = source.text.rfind("-", _line_start(source.text, first), first)
                if dash >= 0:
                    return max(0, _column(source.text, dash) - _column(source.text, doc.span(key)[0]))
    return 0
