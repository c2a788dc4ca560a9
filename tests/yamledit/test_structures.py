"""Whole structures in the file's layout (list items and keys inserted, replaced, removed), and the checks
the verifier makes on them: each case shows the exact bytes before and after."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from promoter.yamledit import structures
from promoter.yamledit.editor import Plan, Splice, commit
from promoter.yamledit.errors import EditError
from promoter.yamledit.locate import Step
from promoter.yamledit.source import MappingNode, Node, ScalarNode, SequenceNode, Source
from promoter.yamledit.verify import Becomes, Check, Expectation, Inserted, KeyRemoved, Plain, Removed

Change = Callable[[Source], structures.Change]


def _node(source: Source, steps: tuple[Step, ...]) -> Node:
    node = source.document(0).root
    for step in steps:
        if isinstance(step, int):
            assert isinstance(node, SequenceNode)
            node = node.value[step]
        else:
            assert isinstance(node, MappingNode)
            node = next(v for k, v in node.value if k.value == step)
    assert node is not None
    return node


def _key(source: Source, steps: tuple[Step, ...]) -> ScalarNode:
    parent = _node(source, steps[:-1])
    assert isinstance(parent, MappingNode)
    return next(k for k, _ in parent.value if k.value == steps[-1])


def insert(steps: tuple[Step, ...], index: int, value: Plain, *, with_key: bool = True) -> Change:
    def change(source: Source) -> structures.Change:
        seq = _node(source, steps)
        assert isinstance(seq, SequenceNode)
        key = _key(source, steps) if with_key else None
        return structures.insert_item(source, source.document(0), seq, steps, index, value, key=key)

    return change


def replace(steps: tuple[Step, ...], index: int, value: Plain) -> Change:
    def change(source: Source) -> structures.Change:
        seq = _node(source, steps)
        assert isinstance(seq, SequenceNode)
        return structures.replace_item(source, source.document(0), seq, steps, index, value)

    return change


def remove(steps: tuple[Step, ...], index: int) -> Change:
    def change(source: Source) -> structures.Change:
        seq = _node(source, steps)
        assert isinstance(seq, SequenceNode)
        return structures.remove_item(source, source.document(0), seq, steps, index)

    return change


def add_key(steps: tuple[Step, ...], key: str, value: Plain) -> Change:
    def change(source: Source) -> structures.Change:
        mapping = _node(source, steps)
        assert isinstance(mapping, MappingNode)
        return structures.add_key(source, source.document(0), mapping, steps, key, value)

    return change


def remove_key(steps: tuple[Step, ...], key: str) -> Change:
    def change(source: Source) -> structures.Change:
        mapping = _node(source, steps)
        assert isinstance(mapping, MappingNode)
        return structures.remove_key(source, source.document(0), mapping, steps, key)

    return change


def apply(text: str, change: Change) -> str:
    source = Source(text)
    return structures.apply(source, change(source))


CHANGES: dict[str, tuple[str, Change, str]] = {
    "scalars-of-every-type": (
        "a:\n- x\n",
        insert(
            ("a",), 1, {"s": "yes", "z": None, "t": True, "f": False, "i": 3, "r": 1e-05, "e": {}, "l": [], "y": "n"}
        ),
        'a:\n- x\n- s: "yes"\n  z: null\n  t: true\n  f: false\n  i: 3\n  r: 0.00001\n  e: {}\n  l: []\n  "y": "n"\n',
    ),
    "a-list-in-a-list": ("a:\n  - x\n", insert(("a",), 0, [["b", {"c": 1}]]), "a:\n  - - - b\n      - c: 1\n  - x\n"),
    "a-gap-of-four-is-copied": ("a:\n-   x: 1\n", insert(("a",), 0, {"w": [2]}), "a:\n-   w:\n    -   2\n-   x: 1\n"),
    "comments-above-the-next-item-stay-with-it": (
        "a:\n- x\n# about z\n\n# also about z\n- z\n",
        insert(("a",), 1, "w"),
        "a:\n- x\n# about z\n\n- w\n# also about z\n- z\n",
    ),
    "no-key-no-moving-above-comments": (
        "a:\n# about x\n- x\n",
        insert(("a",), 0, "w", with_key=False),
        "a:\n# about x\n- w\n- x\n",
    ),
    "layout-from-the-whole-document": (
        "m:\n    k: 1\nl:\n  - a: {b: 1}\n",
        insert(("l",), 1, {"c": {"d": [1]}}),
        "m:\n    k: 1\nl:\n  - a: {b: 1}\n  - c:\n        d:\n          - 1\n",
    ),
    "layout-skips-aliases-odd-keys-and-items-off-their-dash-line": (
        "base: &b\n    k: 1\ncopy: *b\n? [complex]\n: v\nodd:\n-\n  x: 1\nl:\n  - x\n",
        insert(("l",), 0, {"m": ["w"]}, with_key=False),
        "base: &b\n    k: 1\ncopy: *b\n? [complex]\n: v\nodd:\n-\n  x: 1\nl:\n  - m:\n      - w\n  - x\n",
    ),
    "replace-keeps-the-item-column": (
        "a:\n  -   x: 1  # old\n  - y\n",
        replace(("a",), 0, {"x": 2, "z": "on"}),
        'a:\n  -   x: 2\n      z: "on"\n  - y\n',
    ),
    "replace-the-last-line-without-final-newline": ("a:\n- x\n- y", replace(("a",), 1, {"b": 1}), "a:\n- x\n- b: 1"),
    "remove-a-block-scalar-item-keeps-the-blank-line-after": (
        "a:\n- |\n  text\n\n- y\n",
        remove(("a",), 0),
        "a:\n\n- y\n",
    ),
    "remove-the-last-line-without-final-newline-crlf": ("a:\r\n- x\r\n- y", remove(("a",), 1), "a:\r\n- x"),
    "add-a-key-after-an-empty-value": ("r:\n  a:\n", add_key(("r",), "b", {"c": 1}), "r:\n  a:\n  b:\n    c: 1\n"),
    "remove-a-key-with-an-empty-value": ("r:\n  a:\n  b: 1\n", remove_key(("r",), "a"), "r:\n  b: 1\n"),
}


@pytest.mark.parametrize(("text", "change", "expected"), CHANGES.values(), ids=CHANGES.keys())
def test_change(text: str, change: Change, expected: str) -> None:
    assert apply(text, change) == expected


REFUSED: dict[str, tuple[str, Change, str]] = {
    "insert-into-a-flow-list": ("a: [x]\n", insert(("a",), 0, "y"), "a is a flow list"),
    "insert-before-an-item-off-its-dash-line": (
        "a:\n- x\n-\n  y: 1\n",
        insert(("a",), 1, "w"),
        "does not begin its own line with '-'",
    ),
    "insert-when-the-first-item-is-off-its-dash-line": (
        "a:\n-\n  y: 1\n",
        insert(("a",), 1, "w"),
        "the list's first item does not begin its own line",
    ),
    "remove-the-only-item": ("a:\n- x\n", remove(("a",), 0), "a has only this item"),
    "add-a-key-to-a-flow-mapping": ("r: {a: 1}\n", add_key(("r",), "b", 2), "r is a flow mapping"),
    "add-a-key-twice": ("r:\n  a: 1\n", add_key(("r",), "a", 2), "r already has 'a'"),
    "remove-a-key-from-a-flow-mapping": ("r: {a: 1, b: 2}\n", remove_key(("r",), "a"), "cannot remove 'a' from r"),
    "remove-the-only-key-of-a-list-item": ("l:\n- a: 1\n", remove_key(("l", 0), "a"), "'a' does not begin its own"),
    "remove-a-key-after-two-dashes": ("l:\n- - a: 1\n    b: 2\n", remove_key(("l", 0, 0), "a"), "does not begin"),
    "a-number-yaml-cannot-hold": ("a:\n- x\n", insert(("a",), 0, {"p": float("inf")}), "inf is not a number"),
}


@pytest.mark.parametrize(("text", "change", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_refused(text: str, change: Change, reason: str) -> None:
    with pytest.raises(EditError) as info:
        apply(text, change)
    assert reason in info.value.reason


def test_a_change_outside_its_document_is_refused() -> None:
    source = Source("a: 1\n---\nb:\n- x\n")
    forged = structures.Change(Splice(0, 0, "c: 2\n"), Expectation(1, ("b",), Removed(0)))
    with pytest.raises(EditError, match="reaches outside its document"):
        structures.apply(source, forged)


# the verifier on forged changes -----------------------------------------------------------------

FORGED: dict[str, tuple[str, Splice, tuple[Step, ...], Check, str]] = {
    "inserted-a-different-item": ("a:\n- x\n", Splice(3, 3, "- y: 1\n"), ("a",), Inserted(0, {"y": 2}), "reads"),
    "inserted-a-bool-key": ("a:\n- x\n", Splice(3, 3, "- true: 1\n"), ("a",), Inserted(0, {"true": 1}), "a key"),
    "inserted-into-a-mapping": ("a:\n  k: 1\n", Splice(3, 3, "  j: 2\n"), ("a",), Inserted(0, 2), "expected a list"),
    "inserted-two": ("a:\n- x\n", Splice(3, 3, "- y\n- z\n"), ("a",), Inserted(0, "y"), "exactly one item more"),
    "inserted-and-changed-another": ("a:\n- x\n", Splice(3, 6, "- y\n- w\n"), ("a",), Inserted(0, "y"), "'x' would"),
    "removed-another": ("a:\n- x\n- y\n", Splice(3, 7, ""), ("a",), Removed(1), "'x' would become 'y'"),
    "removed-none": ("a:\n- x\n- y\n", Splice(3, 4, "-"), ("a",), Removed(0), "exactly one item fewer"),
    "key-removed-from-a-list": ("a:\n- x\n", Splice(3, 7, "- y\n"), ("a",), KeyRemoved("k"), "expected a mapping"),
    "key-removed-another": (
        "r:\n  a: 1\n  b: 2\n",
        Splice(10, 17, ""),
        ("r",),
        KeyRemoved("a"),
        "'b' would become 'a'",
    ),
    "key-removed-absent": ("r:\n  a: 1\n", Splice(8, 9, "2"), ("r",), KeyRemoved("z"), "exactly the key 'z' to go"),
    "becomes-something-else": ("a:\n- x\n", Splice(5, 6, "y"), ("a", 0), Becomes("z"), "reads 'y', not 'z'"),
}


@pytest.mark.parametrize(("text", "splice", "steps", "check", "reason"), FORGED.values(), ids=FORGED.keys())
def test_the_verifier_refuses(text: str, splice: Splice, steps: tuple[Step, ...], check: Check, reason: str) -> None:
    source = Source(text)
    with pytest.raises(EditError) as info:
        commit(source, Plan((splice,), (Expectation(0, steps, check),)))
    assert reason in info.value.reason
    assert "internal check failed" in info.value.reason
