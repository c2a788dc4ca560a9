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


Check = ScalarIs | TextIs | Appended | KeyAdded


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
