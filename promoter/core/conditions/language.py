"""The language of conditions: its values, limits and errors, the tree a condition parses into, and the
functions it may call (their argument counts: the parser checks them, the evaluator runs them)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TypeAlias, assert_never

Value: TypeAlias = float | int | bool | str | tuple["Value", ...] | None

MAX_LENGTH = 10_000  # characters of condition text
MAX_DEPTH = 100  # nesting of the text and of its tree; keeps the parser and evaluator far from Python's stack limit
MAX_STEPS = 1_000_000  # nodes evaluated: nested closures over long vectors would otherwise run for hours

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def where(text: str, offset: int) -> str:
    """``col 12`` (1-based), or ``line 2, col 5`` when the text spans lines (a YAML block scalar)."""
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    if "\n" not in text:
        return f"col {column}"
    line = text.count("\n", 0, offset) + 1
    return f"line {line}, col {column}"


class ConditionError(ValueError):
    """The text is not a condition this module reads: ``offset`` is 0-based into the text."""

    def __init__(self, message: str, offset: int, text: str = "") -> None:
        super().__init__(f"{where(text, offset)}: {message}")
        self.message = message
        self.offset = offset


class EvaluationError(ValueError):
    """The condition failed on these values: unknown variable, index out of range, type mismatch, ..."""

    def __init__(self, message: str, offset: int, text: str = "") -> None:
        super().__init__(f"{where(text, offset)}: {message}")
        self.message = message
        self.offset = offset


class Missing(EvaluationError):
    """An index past the end (or into nil): the one failure ``default`` turns into its fallback."""


# --- the tree --------------------------------------------------------------------------------------------------
# Offsets do not take part in equality: the same condition spaced differently is the same tree.


@dataclasses.dataclass(frozen=True, slots=True)
class Constant:
    value: Value  # a number, string, bool or nil as written
    offset: int = dataclasses.field(compare=False)


@dataclasses.dataclass(frozen=True, slots=True)
class Variable:
    name: str
    offset: int = dataclasses.field(compare=False)


@dataclasses.dataclass(frozen=True, slots=True)
class Element:
    """``#``: the element a closure is called with."""

    offset: int = dataclasses.field(compare=False)


@dataclasses.dataclass(frozen=True, slots=True)
class Array:
    items: tuple[Node, ...]
    offset: int = dataclasses.field(compare=False)


@dataclasses.dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "not", "-", "+"
    operand: Node
    offset: int = dataclasses.field(compare=False)


@dataclasses.dataclass(frozen=True, slots=True)
class Binary:
    op: str  # canonical spelling: "or", "and", "==", "not in", "**", "??", ...
    left: Node
    right: Node
    offset: int = dataclasses.field(compare=False)


@dataclasses.dataclass(frozen=True, slots=True)
class Chain:
    """Two or more comparisons in a row: ``a < b <= c`` is ``a < b and b <= c`` with ``b`` read once."""

    operands: tuple[Node, ...]
    ops: tuple[str, ...]  # one fewer than operands
    offset: int = dataclasses.field(compare=False)


@dataclasses.dataclass(frozen=True, slots=True)
class Conditional:
    test: Node
    then: Node
    otherwise: Node
    offset: int = dataclasses.field(compare=False)


@dataclasses.dataclass(frozen=True, slots=True)
class Index:
    target: Node
    index: Node
    offset: int = dataclasses.field(compare=False)


@dataclasses.dataclass(frozen=True, slots=True)
class Closure:
    """A predicate (``{# < 0.5}``): only ever an argument of the functions that take one."""

    body: Node
    offset: int = dataclasses.field(compare=False)


@dataclasses.dataclass(frozen=True, slots=True)
class Call:
    function: str  # always one of the builtins: the parser refuses any other name
    arguments: tuple[Node | Closure, ...]
    offset: int = dataclasses.field(compare=False)


Node: TypeAlias = Constant | Variable | Element | Array | Unary | Binary | Chain | Conditional | Index | Call


@dataclasses.dataclass(frozen=True)
class Condition:
    text: str  # as written
    tree: Node


def children(node: Node | Closure) -> tuple[Node | Closure, ...]:
    match node:
        case Constant() | Variable() | Element():
            return ()
        case Array(items=items):
            return items
        case Unary(operand=operand):
            return (operand,)
        case Binary(left=left, right=right):
            return (left, right)
        case Chain(operands=operands):
            return operands
        case Conditional(test=test, then=then, otherwise=otherwise):
            return (test, then, otherwise)
        case Index(target=target, index=index):
            return (target, index)
        case Call(arguments=arguments):
            return arguments
        case Closure(body=body):
            return (body,)
        case _:  # pragma: no cover
            assert_never(node)


def walk(tree: Node) -> Iterator[Node | Closure]:
    """Every node, without recursion (a long ``1 + 1 + ...`` is a deep tree from a flat loop)."""
    stack: list[Node | Closure] = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(children(node))


def names(condition: Condition) -> frozenset[str]:
    """The variables the condition reads (not the functions it calls, nor ``#``)."""
    return frozenset(node.name for node in walk(condition.tree) if isinstance(node, Variable))


# --- the functions ------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Signature:
    least: int
    most: int | None  # None: any number of arguments
    closure: bool = False  # the second argument is a predicate (or a mapping, for map and sum)

    def describe(self, name: str) -> str:
        if self.most is None:
            count = f"at least {self.least}"
        elif self.least == self.most:
            count = str(self.least)
        else:
            count = f"{self.least} or {self.most}"
        return f"{name}() takes {count} argument{'' if (self.most or self.least) == 1 else 's'}"


FUNCTIONS = {
    **dict.fromkeys(("all", "any", "none", "one", "filter", "map"), Signature(2, 2, closure=True)),
    **dict.fromkeys(("count", "sum"), Signature(1, 2, closure=True)),
    **dict.fromkeys(
        ("len", "abs", "isNaN", "isNil", "asInt", "asFloat", "int", "float", "floor", "ceil", "round", "first", "last"),
        Signature(1, 1),
    ),
    "isInf": Signature(1, 2),
    "default": Signature(2, 2),
    **dict.fromkeys(("min", "max", "mean", "median"), Signature(1, None)),
}
