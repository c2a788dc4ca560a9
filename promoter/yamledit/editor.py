"""Plan edits, splice them into the original text, verify by re-parsing.

``apply(text, edits)`` is the whole editor: each edit's path is located (searching every document
unless one is named), the new token is rendered in the old token's style, the tokens are spliced into
the original text and the result is parsed again and compared with the original, node by node.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Sequence

from promoter.yamledit import blocks, locate, paths, scalars
from promoter.yamledit.errors import EditError
from promoter.yamledit.source import Document, MappingNode, ScalarNode, Source
from promoter.yamledit.verify import Expectation, ScalarIs, TextIs, verify


@dataclasses.dataclass(frozen=True)
class Edit:
    """Set the scalar at ``path`` to ``value``.

    With ``text=True`` the value is command-line text read against the old value's type (``"80"`` for an
    int is 80; ``'"1.10"'`` with its quotes is the string 1.10); otherwise it is taken as typed.
    ``doc`` is the 0-based document index; ``None`` searches every document and requires one match.
    """

    path: tuple[paths.Segment, ...]
    value: scalars.Value
    text: bool = False
    doc: int | None = None

    @classmethod
    def parse(cls, assignment: str, doc: int | None = None) -> Edit:
        """``PATH=VALUE`` as given on the command line."""
        path, value = paths.split_assignment(assignment)
        return cls(paths.parse(path), value, text=True, doc=doc)


@dataclasses.dataclass(frozen=True)
class Splice:
    """Replace ``text[start:end]`` (an insertion when they are equal)."""

    start: int
    end: int
    text: str


@dataclasses.dataclass(frozen=True)
class Plan:
    splices: tuple[Splice, ...]
    expectations: tuple[Expectation, ...]


def apply(text: str, edits: Sequence[Edit]) -> str:
    """The text with every edit applied, or EditError; the same text when every edit is a no-op."""
    source = Source(text)
    return commit(source, plan(source, edits))


def commit(source: Source, planned: Plan) -> str:
    """Splice the planned changes into the text and verify the result."""
    if not planned.splices:
        return source.text
    ordered = sorted(planned.splices, key=lambda s: (s.start, s.end))
    for a, b in itertools.pairwise(ordered):
        if b.start < a.end or (a.start == b.start and a.end == b.end):
            raise source.error("two edits touch the same text", b.start)
    out: list[str] = []
    position = 0
    for s in ordered:
        out.append(source.text[position : s.start])
        out.append(s.text)
        position = s.end
    out.append(source.text[position:])
    new_text = "".join(out)
    verify(source, Source(new_text), list(planned.expectations))
    return new_text


def plan(source: Source, edits: Sequence[Edit]) -> Plan:
    """Locate every edit and render its token; nothing is spliced yet."""
    # Edits inside one block scalar are planned together, on that block's own text.
    direct: list[tuple[Edit, Document, locate.Target]] = []
    nested: dict[tuple[int, tuple[locate.Step, ...]], tuple[Document, locate.Target, list[Edit]]] = {}
    seen: dict[tuple[int, tuple[locate.Step, ...]], Edit] = {}
    for edit in edits:
        outer, inner = _split_at_descend(edit.path)
        doc = _document_for(source, outer, edit)
        target = locate.resolve(source, doc, outer)
        key = (doc.index, target.steps)
        if inner:
            slot = nested.setdefault(key, (doc, target, []))
            slot[2].append(dataclasses.replace(edit, path=inner, doc=None))
            continue
        if key in seen:
            raise source.error(f"{paths.render(edit.path)} is set twice", doc.span(target.node)[0])
        seen[key] = edit
        direct.append((edit, doc, target))
    splices: list[Splice] = []
    expectations: list[Expectation] = []
    for edit, doc, target in direct:
        change = _scalar_change(source, doc, target, edit)
        if change is not None:
            splices.append(change)
            expectations.append(Expectation(doc.index, target.steps, ScalarIs(_final_value(target, edit))))
    for doc, target, inner_edits in nested.values():
        splices_in, expectation = _block_change(source, doc, target, inner_edits)
        splices.extend(splices_in)
        if expectation is not None:
            expectations.append(expectation)
    return Plan(tuple(splices), tuple(expectations))


def _split_at_descend(
    path: tuple[paths.Segment, ...],
) -> tuple[tuple[paths.Segment, ...], tuple[paths.Segment, ...]]:
    for i, segment in enumerate(path):
        if isinstance(segment, paths.Descend):
            return path[:i], path[i + 1 :]
    return path, ()


def _document_for(source: Source, outer: tuple[paths.Segment, ...], edit: Edit) -> Document:
    if source.count == 0:
        raise EditError("the file holds no YAML document")
    if edit.doc is not None:
        if not 0 <= edit.doc < source.count:
            raise EditError(f"there is no document {edit.doc}: the file has {source.count} (0-based --doc)")
        return source.document(edit.doc)
    if source.count == 1:
        return source.document(0)
    hits: list[int] = []
    first_error: EditError | None = None
    for quick in source.quick_documents():
        try:
            locate.resolve(source, quick, outer)
        except EditError as exc:
            first_error = first_error or exc
            continue
        hits.append(quick.index)
    if not hits:
        where = paths.render(outer) or "the root"
        raise EditError(
            f"{where} is in none of the {source.count} documents"
            + (f" (document 0 at line {first_error.line}: {first_error.reason})" if first_error else ""),
        )
    if len(hits) > 1:
        lines = ", ".join(f"{i} (line {source.position(source.bounds(i)[0])[0]})" for i in hits)
        raise EditError(f"{paths.render(outer)} is in several documents: {lines}; choose one with --doc")
    return source.document(hits[0])


# Anchors and tags before the token; an anchor may end the node (an empty value: ``tag: &x``), while a tag
# alone (``tag: !!null``) is the token, rewritten with the value's type.
_PROPERTIES = re.compile(r"(?:[&!]\S*[ \t]+)*(?:&\S*\Z)?")


def _token_span(source: Source, doc: Document, node: ScalarNode) -> tuple[int, int]:
    """The scalar's own token, without an anchor or tag before it."""
    start, end = doc.span(node)
    if start < end and source.text[start] in "&!":
        match = _PROPERTIES.match(source.text, start, end)
        if match:
            start = match.end()
    return start, end


def _final_value(target: locate.Target, edit: Edit) -> scalars.Value:
    node = target.node
    assert isinstance(node, ScalarNode)
    if not (edit.text and isinstance(edit.value, str)):
        return edit.value
    value = scalars.interpret(edit.value, node)
    if node.style == "|" and isinstance(value, str) and scalars.explicit_string(edit.value) is None:
        return blocks.command_line_text(value, node)
    return value


def _scalar_change(source: Source, doc: Document, target: locate.Target, edit: Edit) -> Splice | None:
    node = target.node
    where = paths.render(edit.path)
    start = doc.span(node)[0]
    if not isinstance(node, ScalarNode):
        kind = "a mapping" if isinstance(node, MappingNode) else "a list"
        raise source.error(f"{where} is {kind}, not a scalar value: name a field inside it", start)
    try:
        value = _final_value(target, edit)
    except scalars.TypeMismatch as exc:
        hint = ""
        if scalars.kind_of(node) is not scalars.Kind.STR:
            hint = f"; to store a string, quote it: {where}='\"{edit.value}\"'"
        raise source.error(f"{where} {exc}{hint}", start) from None
    if scalars.kind_of(node) is scalars.Kind.OTHER:
        if value == node.value:
            return None
        raise source.error(f"{where} has the tag {node.tag}, which the editor does not write", start)
    as_typed = edit.text and isinstance(edit.value, str) and scalars.explicit_string(edit.value) is None
    if scalars.same(scalars.typed(node), value) or (as_typed and edit.value == node.value):
        return None  # the same value, or the same text (``0755`` is not rewritten as ``493``)
    if target.shared:
        raise source.error(f"{where}: {target.shared}", start)
    if node.style in ("|", ">"):
        if node.style == ">" or not isinstance(value, str):
            raise source.error(
                f"{where} is a folded block scalar or the new value is not text: only literal ('|') blocks take "
                "a new text; to edit YAML inside a block scalar, use '|' in the path",
                start,
            )
        return Splice(*blocks.replace_content(source, doc, node, value))
    typed_text = edit.value if edit.text and isinstance(edit.value, str) else None
    token_start, token_end = _token_span(source, doc, node)
    tagged = "!" in source.text[doc.span(node)[0] : token_start]
    token = scalars.token(value, node, flow=target.in_flow, typed_text=typed_text, tagged=tagged)
    if token_start == token_end:
        return _fill_empty(source, doc, target, token, where)
    return Splice(token_start, token_end, token)


def _fill_empty(source: Source, doc: Document, target: locate.Target, token: str, where: str) -> Splice:
    """An empty value (``tag:``, ``-``, ``tag: &x``): insert the token after its indicator or properties."""
    start, end = doc.span(target.node)
    if start < end:  # an anchor or a tag with nothing after it
        return Splice(end, end, " " + token)
    if target.key is None:
        # Both parsers mark an empty list item just after its '-'; anything else is not a list item to fill.
        if source.text[start - 1 : start] != "-":
            raise source.error(f"{where} is empty and not after a '-' or a ':': the editor cannot place it", start)
        return Splice(start, start, " " + token)
    key_end = doc.span(target.key)[1]
    colon = key_end
    while colon < len(source.text) and source.text[colon] in " \t":
        colon += 1
    if colon >= len(source.text) or source.text[colon] != ":":
        raise source.error(f"cannot find the ':' after the key of {where}", key_end)
    return Splice(colon + 1, colon + 1, " " + token)


def _block_change(
    source: Source, doc: Document, target: locate.Target, edits: list[Edit]
) -> tuple[list[Splice], Expectation | None]:
    node = target.node
    if not isinstance(node, ScalarNode):
        raise source.error("'|' steps into a block scalar, and this value is a collection", doc.span(node)[0])
    if target.shared:
        raise source.error(target.shared, doc.span(node)[0])
    block = blocks.open_block(source, doc, node)
    inner_source = Source(block.text)
    try:
        inner = plan(inner_source, edits)
        inner_text = commit(inner_source, inner)
    except EditError as exc:
        # Report the position in the file, not in the block's own text.
        if exc.line is None:
            raise source.error(f"inside the block scalar: {exc.reason}", doc.span(node)[0]) from None
        inner_index = inner_source.index(exc.line, exc.column or 1)
        raise source.error(f"inside the block scalar: {exc.reason}", block.to_outer(inner_index)) from None
    if inner_text == block.text:
        return [], None
    outer = [Splice(*block.splice(s.start, s.end, s.text)) for s in inner.splices]
    return outer, Expectation(doc.index, target.steps, TextIs(block.value_of(inner_text)))
