"""Resolving a path to a node of a composed document."""

from __future__ import annotations

import dataclasses

from promoter.yamledit import paths
from promoter.yamledit.errors import EditError
from promoter.yamledit.source import Document, MappingNode, Node, ScalarNode, SequenceNode, Source

Step = str | int
"""One step of a resolved path: a mapping key or a list position."""


@dataclasses.dataclass(frozen=True)
class Target:
    """A located node: where it is and how it was reached."""

    node: Node
    steps: tuple[Step, ...]
    key: ScalarNode | None  # the mapping key whose value this is (None for a list item or the root)
    in_flow: bool  # inside a flow collection ({...} or [...]), where plain scalars are stricter
    shared: str | None  # why changing it would also change other places (an anchor shared by aliases)


def resolve(source: Source, doc: Document, segments: tuple[paths.Segment, ...]) -> Target:
    """Follow ``segments`` (no ``|`` among them) from the document's root; raise EditError if absent."""
    if doc.root is None:
        raise source.error(f"document {doc.index} is empty", doc.start)
    node: Node = doc.root
    steps: list[Step] = []
    key: ScalarNode | None = None
    chain: list[Node] = [node]
    for segment in segments:
        where = paths.render(_as_segments(steps)) or "the document root"
        match segment:
            case paths.Key(name):
                if not isinstance(node, MappingNode):
                    raise _error(source, doc, node, f"cannot take key {name!r}: {where} is {_describe(node)}")
                key, node = _lookup(source, doc, node, name, where)
                steps.append(name)
            case paths.Index(position):
                if not isinstance(node, SequenceNode):
                    raise _error(source, doc, node, f"cannot take [{position}]: {where} is {_describe(node)}")
                items: list[Node] = node.value
                if not -len(items) <= position < len(items):
                    raise _error(
                        source,
                        doc,
                        node,
                        f"index [{position}] is out of range: {where} has {len(items)} items",
                    )
                real = position % len(items)
                node, key = items[real], None
                steps.append(real)
            case paths.Match(field, wanted):
                if not isinstance(node, SequenceNode):
                    raise _error(source, doc, node, f"cannot select [{field}={wanted}]: {where} is {_describe(node)}")
                real, node = _select(source, doc, node, field, wanted, where)
                key = None
                steps.append(real)
            case paths.Descend():
                raise AssertionError("'|' is handled by the editor, not by resolve()")
        chain.append(node)
    # Flow collections nest only flow collections, so any flow ancestor puts the node in flow context.
    in_flow = any(bool(getattr(n, "flow_style", False)) for n in chain[:-1])
    return Target(node, tuple(steps), key, in_flow, _shared(source, doc, chain))


def _lookup(source: Source, doc: Document, mapping: MappingNode, name: str, where: str) -> tuple[ScalarNode, Node]:
    found = [(k, v) for k, v in mapping.value if isinstance(k, ScalarNode) and k.value == name and k.value != "<<"]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        lines = ", ".join(str(source.position(doc.span(k)[0])[0]) for k, _ in found)
        raise _error(source, doc, found[1][0], f"key {name!r} appears more than once in {where} (lines {lines})")
    for k, v in mapping.value:
        if isinstance(k, ScalarNode) and k.value == "<<":
            merged = v.value if isinstance(v, SequenceNode) else [v]
            for base in merged:
                if isinstance(base, MappingNode) and any(
                    isinstance(bk, ScalarNode) and bk.value == name for bk, _ in base.value
                ):
                    raise _error(
                        source,
                        doc,
                        k,
                        f"key {name!r} in {where} comes from the merge key '<<'; edit the anchored mapping "
                        f"at line {source.position(doc.span(base)[0])[0]} instead",
                    )
    keys = [k.value for k, _ in mapping.value if isinstance(k, ScalarNode)]
    shown = ", ".join(keys[:12]) + (", ..." if len(keys) > 12 else "")
    raise _error(source, doc, mapping, f"no key {name!r} in {where} (it has: {shown or 'no keys'})")


def _select(source: Source, doc: Document, seq: SequenceNode, field: str, wanted: str, where: str) -> tuple[int, Node]:
    hits: list[tuple[int, Node]] = []
    seen: list[str] = []
    for i, item in enumerate(seq.value):
        if not isinstance(item, MappingNode):
            continue
        for k, v in item.value:
            if isinstance(k, ScalarNode) and k.value == field and isinstance(v, ScalarNode):
                seen.append(f"{field}={v.value}")
                if v.value == wanted:
                    hits.append((i, item))
    if len(hits) == 1:
        return hits[0]
    if not hits:
        listed = ", ".join(seen[:12]) or f"no item has {field!r}"
        raise _error(source, doc, seq, f"no item with {field}={wanted} in {where} ({listed})")
    lines = ", ".join(str(source.position(doc.span(n)[0])[0]) for _, n in hits)
    raise _error(source, doc, seq, f"{len(hits)} items with {field}={wanted} in {where} (lines {lines}): ambiguous")


def _shared(source: Source, doc: Document, chain: list[Node]) -> str | None:
    """Why an edit through this chain would change more than one place (an anchor that aliases share).

    Aliases compose to the very same node object, so a node reached twice from the root is shared.
    """
    if doc.root is None or "&" not in source.text[doc.start : doc.end]:
        return None
    counts: dict[int, int] = {}
    stack: list[Node] = [doc.root]
    while stack:
        node = stack.pop()
        counts[id(node)] = counts.get(id(node), 0) + 1
        if counts[id(node)] > 1:
            continue
        if isinstance(node, MappingNode):
            for k, v in node.value:
                stack.extend((k, v))
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    for node in chain:
        if counts.get(id(node), 0) > 1:
            start = doc.span(node)[0]
            name = source.text[start:].split(None, 1)[0] if source.text[start : start + 1] == "&" else "an anchor"
            return (
                f"the value is inside {name} (line {source.position(start)[0]}) that aliases share: the edit would "
                "change every alias; unshare it first"
            )
    return None


def _as_segments(steps: list[Step]) -> tuple[paths.Segment, ...]:
    return tuple(paths.Index(s) if isinstance(s, int) else paths.Key(s) for s in steps)


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if isinstance(node, ScalarNode):
        return f"the scalar {node.value!r}" if node.value else "empty"
    return "not a collection"


def _error(source: Source, doc: Document, node: Node, reason: str) -> EditError:
    return source.error(reason, doc.span(node)[0])
