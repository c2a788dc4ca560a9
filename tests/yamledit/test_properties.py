"""Property tests: generated documents and generated edits change exactly the targeted token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from promoter.yamledit import editor, paths, scalars
from promoter.yamledit.errors import EditError
from promoter.yamledit.source import MappingNode, Node, ScalarNode, SequenceNode, Source
from promoter.yamledit.verify import plain
from tests.yamledit.generated import NEW_VALUES, documents

Leaf = tuple[int, tuple[paths.Segment, ...], tuple[Any, ...], ScalarNode]


def _leaves(
    doc: int, node: Node | None, segs: tuple[paths.Segment, ...] = (), steps: tuple[Any, ...] = ()
) -> Iterator[Leaf]:
    if isinstance(node, ScalarNode) and segs:
        yield doc, segs, steps, node
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            yield from _leaves(doc, item, (*segs, paths.Index(i)), (*steps, i))
    elif isinstance(node, MappingNode):
        for k, v in node.value:
            yield from _leaves(doc, v, (*segs, paths.Key(k.value)), (*steps, k.value))


def _replace(tree: Any, steps: tuple[Any, ...], value: Any) -> Any:
    if not steps:
        return value
    head, rest = steps[0], steps[1:]
    if isinstance(tree, list):
        return [(_replace(item, rest, value) if i == head else item) for i, item in enumerate(tree)]
    return {k: (_replace(v, rest, value) if k == head else v) for k, v in tree.items()}


def _same_tree(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same_tree(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_tree(x, y) for x, y in zip(a, b, strict=True))
    return scalars.same(a, b)


def _changed_region(old: str, new: str) -> tuple[int, int]:
    """The span of ``old`` that differs from ``new`` (common prefix and suffix removed)."""
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(old), len(new)) - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    return prefix, len(old) - suffix


def _target(text: str, data: st.DataObject) -> tuple[Source, Leaf]:
    """The parsed text and one of its scalars reachable by an unambiguous path (else the example is skipped)."""
    try:
        source = Source(text)
        leaves = [leaf for i in range(source.count) for leaf in _leaves(i, source.document(i).root)]
    except EditError:
        assume(False)
        raise  # unreachable: assume(False) stops the example
    unambiguous = [leaf for leaf in leaves if _unique_path(source, leaf)]
    assume(unambiguous)
    return source, data.draw(st.sampled_from(unambiguous))


@settings(max_examples=1800, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(text=documents(), data=st.data(), value=NEW_VALUES)
def test_a_typed_edit_changes_exactly_the_target_token(text: str, data: st.DataObject, value: Any) -> None:
    source, (doc, segs, steps, node) = _target(text, data)
    new_text = editor.apply(text, [editor.Edit(segs, value, doc=doc)])

    # 1. Only the token changed: everything before and after it is byte-identical.
    start, end = source.document(doc).span(node)
    lo, hi = _changed_region(text, new_text)
    if new_text != text:
        assert start <= lo and hi <= end, (text, new_text)
    # 2. The result parses, and reads as the old documents with only the target replaced.
    after = Source(new_text)
    assert after.count == source.count
    for i in range(source.count):
        old_tree = plain(source.document(i).root)
        expected = _replace(old_tree, steps, value) if i == doc else old_tree
        assert _same_tree(plain(after.document(i).root), expected), (text, new_text)
    # 3. Same line breaks, same final newline.
    assert new_text.count("\r\n") == text.count("\r\n")
    assert new_text.endswith("\n") == text.endswith("\n")


@settings(max_examples=1200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    text=documents(),
    data=st.data(),
    typed=st.sampled_from(["42", "1.10", "true", "v2", "yes", "'quoted'", '"1.5"', "0644"]),
)
def test_command_line_text_keeps_the_type_or_is_refused(text: str, data: st.DataObject, typed: str) -> None:
    source, (doc, segs, steps, node) = _target(text, data)
    old_kind = scalars.kind_of(node)
    try:
        new_text = editor.apply(text, [editor.Edit(segs, typed, text=True, doc=doc)])
    except EditError as exc:
        # Refused only for a type it cannot keep, with the line of the value.
        assert old_kind in (scalars.Kind.INT, scalars.Kind.FLOAT, scalars.Kind.BOOL), exc
        assert exc.line == source.position(source.document(doc).span(node)[0])[0]
        return
    new_node = _find(Source(new_text), doc, steps)
    explicit = scalars.explicit_string(typed)
    if explicit is not None:
        assert scalars.typed(new_node) == explicit
    elif old_kind is scalars.Kind.STR:
        assert scalars.typed(new_node) == typed  # "1.10" stays a string, "yes" stays a string
    elif old_kind in (scalars.Kind.INT, scalars.Kind.FLOAT, scalars.Kind.BOOL):
        assert scalars.kind_of(new_node) in (scalars.Kind.INT, scalars.Kind.FLOAT, scalars.Kind.BOOL)


def _find(source: Source, doc: int, steps: tuple[Any, ...]) -> ScalarNode:
    node: Any = source.document(doc).root
    for step in steps:
        node = node.value[step] if isinstance(step, int) else next(v for k, v in node.value if k.value == step)
    assert isinstance(node, ScalarNode)
    return node


def _unique_path(source: Source, leaf: Leaf) -> bool:
    """Generated mappings may repeat a key inside a flow mapping; such paths are ambiguous on purpose."""
    doc, _, steps, _ = leaf
    node: Any = source.document(doc).root
    for step in steps:
        if isinstance(step, int):
            node = node.value[step]
            continue
        hits = [v for k, v in node.value if k.value == step]
        if len(hits) != 1:
            return False
        node = hits[0]
    return True
