"""Re-parse after splicing and check that the only semantic change is the intended one."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from promoter.yamledit import scalars
from promoter.yamledit.errors import EditError
from promoter.yamledit.locate import Step
from promoter.yamledit.source import Document, MappingNode, Node, ScalarNode, SequenceNode, Source

Plain = scalars.Value | list["Plain"] | dict[str, "Plain"]
"""A value as a loader would build it, for comparing inserted structures."""


@dataclasses.dataclass(frozen=True)
class ScalarIs:
    """The node is now a scalar with this value (and this value's YAML type)."""

    value: scalars.Value


@dataclasses.dataclass(frozen=True)
class TextIs:
    """The node is a block scalar whose text is now this (YAML edited inside it)."""

    value: str


@dataclasses.dataclass(frozen=True)
class Appended:
    """The list gained this item at its end; the items before it are unchanged."""

    item: Plain


@dataclasses.dataclass(frozen=True)
class KeyAdded:
    """The mapping gained this key at its end; the keys before it are unchanged."""

    key: str
    value: Plain


@dataclasses.dataclass(frozen=True)
class Inserted:
    """The list gained this item at ``index``; the other items are unchanged."""

    index: int
    item: Plain


@dataclasses.dataclass(frozen=True)
class Removed:
    """The list lost its item at ``index``; the other items are unchanged."""

    index: int


@dataclasses.dataclass(frozen=True)
class KeyRemoved:
    """The mapping lost this key; the other keys are unchanged."""

    key: str


@dataclasses.dataclass(frozen=True)
class Becomes:
    """The node (a whole list item, say) now reads as exactly this structure."""

    value: Plain


Check = ScalarIs | TextIs | Appended | KeyAdded | Inserted | Removed | KeyRemoved | Becomes


@dataclasses.dataclass(frozen=True)
class Expectation:
    doc: int
    steps: tuple[Step, ...]
    check: Check


def plain(node: Node | None) -> Plain:
    if node is None:
        return None
    if isinstance(node, ScalarNode):
        return scalars.typed(node)
    if isinstance(node, SequenceNode):
        return [plain(n) for n in node.value]
    if isinstance(node, MappingNode):
        return {str(k.value): plain(v) for k, v in node.value}
    raise AssertionError(type(node))


def same_plain(a: Plain, b: Plain) -> bool:
    """Structural equality that keeps YAML types apart (``"true"`` is not ``True``, ``1`` is not ``1.0``)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_plain(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_plain(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return False
    return scalars.same(a, b)


def _string_keys(node: Node) -> bool:
    """Every mapping key in the structure is a string: ``plain`` reads the key ``true`` as ``"true"``."""
    if isinstance(node, MappingNode):
        return all(
            isinstance(k, ScalarNode) and scalars.kind_of(k) is scalars.Kind.STR and _string_keys(v)
            for k, v in node.value
        )
    if isinstance(node, SequenceNode):
        return all(_string_keys(item) for item in node.value)
    return True


def verify(old: Source, new: Source, expectations: list[Expectation]) -> None:
    """Raise EditError unless ``new`` differs from ``old`` exactly as the expectations say."""
    if old.count != new.count:
        raise EditError(f"internal check failed: the edit changed the number of documents ({old.count} -> {new.count})")
    by_doc: dict[int, dict[tuple[Step, ...], Check]] = {}
    for e in expectations:
        by_doc.setdefault(e.doc, {})[e.steps] = e.check
    for index, checks in sorted(by_doc.items()):
        before, after = old.document(index), new.document(index)
        _Compare(new, after, checks).walk(before.root, after.root, ())


class _Compare:
    def __init__(self, source: Source, doc: Document, checks: Mapping[tuple[Step, ...], Check]) -> None:
        self.source = source
        self.doc = doc
        self.checks = checks
        self.seen: set[tuple[int, int]] = set()

    def fail(self, node: Node | None, steps: tuple[Step, ...], why: str) -> EditError:
        where = ".".join(str(s) for s in steps) or "the document root"
        reason = f"internal check failed at {where}: {why}; refusing to write"
        if node is None:
            return EditError(reason)
        return self.source.error(reason, self.doc.span(node)[0])

    def walk(self, old: Node | None, new: Node | None, steps: tuple[Step, ...]) -> None:
        if steps in self.checks:
            self.expect(old, new, steps, self.checks[steps])
            return
        if old is None or new is None:
            if old is not new:
                raise self.fail(new, steps, "a document appeared or vanished")
            return
        if (id(old), id(new)) in self.seen:  # an alias: already compared
            return
        self.seen.add((id(old), id(new)))
        if type(old) is not type(new):
            raise self.fail(new, steps, "the node changed kind")
        if isinstance(old, ScalarNode):
            if str(old.tag) != str(new.tag) or old.value != new.value:
                raise self.fail(new, steps, f"{old.value!r} would become {new.value!r}")
        elif isinstance(old, SequenceNode):
            if len(old.value) != len(new.value):
                raise self.fail(new, steps, "the list changed length")
            for i, (a, b) in enumerate(zip(old.value, new.value, strict=True)):
                self.walk(a, b, (*steps, i))
        elif isinstance(old, MappingNode):
            if len(old.value) != len(new.value):
                raise self.fail(new, steps, "the mapping changed size")
            for i, ((ak, av), (bk, bv)) in enumerate(zip(old.value, new.value, strict=True)):
                step: Step = str(ak.value) if isinstance(ak, ScalarNode) else i
                self.walk(ak, bk, (*steps, f"<key {step}>"))
                self.walk(av, bv, (*steps, step))

    def expect(self, old: Node | None, new: Node | None, steps: tuple[Step, ...], check: Check) -> None:
        match check:
            case ScalarIs(value):
                if not isinstance(new, ScalarNode) or not scalars.same(scalars.typed(new), value):
                    got = scalars.typed(new) if isinstance(new, ScalarNode) else plain(new)
                    raise self.fail(new, steps, f"expected {value!r}, the file would read {got!r}")
            case TextIs(value):
                if not isinstance(new, ScalarNode) or new.value != value:
                    raise self.fail(new, steps, "the block scalar's text is not the edited YAML")
            case Appended(item):
                if not isinstance(old, SequenceNode) or not isinstance(new, SequenceNode):
                    raise self.fail(new, steps, "expected a list")
                if len(new.value) != len(old.value) + 1:
                    raise self.fail(new, steps, "expected exactly one new list item")
                for i, (a, b) in enumerate(zip(old.value, new.value[:-1], strict=True)):
                    self.walk(a, b, (*steps, i))
                if plain(new.value[-1]) != item:
                    raise self.fail(new, steps, f"the new item reads {plain(new.value[-1])!r}, not {item!r}")
            case KeyAdded(key, value):
                if not isinstance(old, MappingNode) or not isinstance(new, MappingNode):
                    raise self.fail(new, steps, "expected a mapping")
                if len(new.value) != len(old.value) + 1:
                    raise self.fail(new, steps, "expected exactly one new key")
                for (ak, av), (bk, bv) in zip(old.value, new.value[:-1], strict=True):
                    step: Step = str(ak.value)
                    self.walk(ak, bk, (*steps, f"<key {step}>"))
                    self.walk(av, bv, (*steps, step))
                new_key, new_value = new.value[-1]
                if not isinstance(new_key, ScalarNode) or new_key.value != key or plain(new_value) != value:
                    raise self.fail(new, steps, f"the new key does not read {key}: {value!r}")
            case Inserted(index, item):
                old_items, new_items = self.lists(old, new, steps, +1)
                self.walk_pairs(old_items, new_items[:index] + new_items[index + 1 :], steps)
                self.structure(new_items[index], (*steps, index), item)
            case Removed(index):
                old_items, new_items = self.lists(old, new, steps, -1)
                self.walk_pairs(old_items[:index] + old_items[index + 1 :], new_items, steps)
            case KeyRemoved(key):
                if not isinstance(old, MappingNode) or not isinstance(new, MappingNode):
                    raise self.fail(new, steps, "expected a mapping")
                kept = [(k, v) for k, v in old.value if not (isinstance(k, ScalarNode) and k.value == key)]
                if len(kept) != len(old.value) - 1 or len(new.value) != len(kept):
                    raise self.fail(new, steps, f"expected exactly the key {key!r} to go")
                for (ak, av), (bk, bv) in zip(kept, new.value, strict=True):
                    step = str(ak.value)
                    self.walk(ak, bk, (*steps, f"<key {step}>"))
                    self.walk(av, bv, (*steps, step))
            case Becomes(value):
                self.structure(new, steps, value)

    def structure(self, new: Node | None, steps: tuple[Step, ...], value: Plain) -> None:
        """A new structure reads ``value``, its keys strings (``plain`` would read the key ``true`` as one)."""
        if not same_plain(plain(new), value):
            raise self.fail(new, steps, f"the new structure reads {plain(new)!r}, not {value!r}")
        if new is not None and not _string_keys(new):
            raise self.fail(new, steps, "a key of the new structure does not read as a string")

    def lists(
        self, old: Node | None, new: Node | None, steps: tuple[Step, ...], change: int
    ) -> tuple[list[Node], list[Node]]:
        """The items of a list that gained (``+1``) or lost (``-1``) exactly one item."""
        if not isinstance(old, SequenceNode) or not isinstance(new, SequenceNode):
            raise self.fail(new, steps, "expected a list")
        if len(new.value) != len(old.value) + change:
            raise self.fail(new, steps, f"expected exactly one item {'more' if change > 0 else 'fewer'}")
        return list(old.value), list(new.value)

    def walk_pairs(self, old_items: list[Node], new_items: list[Node], steps: tuple[Step, ...]) -> None:
        """Compare the items that stay, numbered by their place in the new list."""
        for i, (a, b) in enumerate(zip(old_items, new_items, strict=True)):
            self.walk(a, b, (*steps, i))
