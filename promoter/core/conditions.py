"""Argo Rollouts' analysis conditions (``successCondition`` / ``failureCondition``), read and judged safely.

Argo Rollouts writes them in expr-lang (github.com/expr-lang/expr). This is the part of that language people
write in conditions: a tokenizer and a recursive-descent (precedence-climbing) parser into a frozen tree, and a
tree-walking evaluator. Nothing here calls ``eval`` or looks attributes up by user-written names.

It follows expr-lang where the two could differ, so a template reads the same here as in Argo Rollouts:

- the precedence table is expr-lang's, quirks included: ``not`` / ``!`` bind tighter than comparisons but
  looser than arithmetic (``not a == b`` is ``(not a) == b``, ``not a * b`` is ``not (a * b)``), and unary
  minus is looser than ``**`` (``-2 ** 2`` is -4);
- comparisons chain (``0 < x <= 1`` is ``0 < x and x <= 1``, ``x`` read once);
- ``??`` is tightest of all and does not mix with other operators without parentheses;
- numbers are Go's: ints are int64 and wrap around, ``/`` and ``**`` are always float64, a float division by
  zero is ±Inf or NaN (not an error), an overflowing ``**`` is ±Inf, NaN compares false with everything;
- a predicate's braces are optional (``all(result, # < 0.5)``), trailing commas are allowed.

Argo Rollouts' own functions are here (``asInt``, ``asFloat``, ``isNaN``, ``isInf``, ``isNil``, ``default``),
with one leniency the way people use it: ``default(result[0], 0)`` is 0 when ``result`` is empty.
"""

from __future__ import annotations

import dataclasses
import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeAlias, TypeGuard, assert_never

Value: TypeAlias = float | int | bool | str | tuple["Value", ...] | None

MAX_LENGTH = 10_000  # characters of condition text
MAX_DEPTH = 100  # nesting of the text and of its tree; keeps the parser and evaluator far from Python's stack limit
MAX_STEPS = 1_000_000  # nodes evaluated: nested closures over long vectors would otherwise run for hours

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


def _where(text: str, offset: int) -> str:
    """``col 12`` (1-based), or ``line 2, col 5`` when the text spans lines (a YAML block scalar)."""
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    if "\n" not in text:
        return f"col {column}"
    line = text.count("\n", 0, offset) + 1
    return f"line {line}, col {column}"


class ConditionError(ValueError):
    """The text is not a condition this module reads: ``offset`` is 0-based into the text."""

    def __init__(self, message: str, offset: int, text: str = "") -> None:
        super().__init__(f"{_where(text, offset)}: {message}")
        self.message = message
        self.offset = offset


class EvaluationError(ValueError):
    """The condition failed on these values: unknown variable, index out of range, type mismatch, ..."""

    def __init__(self, message: str, offset: int, text: str = "") -> None:
        super().__init__(f"{_where(text, offset)}: {message}")
        self.message = message
        self.offset = offset


class _Missing(EvaluationError):
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


def _children(node: Node | Closure) -> tuple[Node | Closure, ...]:
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


def _walk(tree: Node) -> Iterator[Node | Closure]:
    """Every node, without recursion (a long ``1 + 1 + ...`` is a deep tree from a flat loop)."""
    stack: list[Node | Closure] = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(_children(node))


def names(condition: Condition) -> frozenset[str]:
    """The variables the condition reads (not the functions it calls, nor ``#``)."""
    return frozenset(node.name for node in _walk(condition.tree) if isinstance(node, Variable))


# --- the tokens ------------------------------------------------------------------------------------------------

_NUMBER, _STRING, _NAME, _OP, _END = "number", "string", "name", "operator", "end"

# Longest first. Some are expr-lang's and refused by the parser with a message (``?.``, ``..``, ``|``, ...).
_OPERATORS = (
    *("**", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "..", "::"),
    *"+-*/%^<>!?:()[]{},#.|&=;",
)
_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "`": "`",
    "?": "?",
}
_HEX_WIDTH = {"x": 2, "X": 2, "u": 4, "U": 8}
_HEX = frozenset("0123456789abcdefABCDEF")
_BASES = {"x": (16, frozenset("0123456789abcdefABCDEF_")), "o": (8, frozenset("01234567_")), "b": (2, frozenset("01_"))}
_DIGITS = frozenset("0123456789_")
_DECIMAL = frozenset("0123456789")


@dataclasses.dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str  # as written (for messages); the operator or name itself
    value: Value  # a number's or string's value
    offset: int


def _name_start(char: str) -> bool:
    return char.isalpha() or char in "_$"


def _name_char(char: str) -> bool:
    return char.isalpha() or char.isdecimal() or char in "_$"


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, end = 0, len(text)
    while i < end:
        char = text[i]
        if char.isspace():
            i += 1
        elif text.startswith("//", i):
            newline = text.find("\n", i)
            i = end if newline < 0 else newline + 1
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                raise ConditionError("unclosed comment", i, text)
            i = close + 2
        elif char in _DECIMAL or (char == "." and text[i + 1 : i + 2] in _DECIMAL):
            token = _number(text, i)
            tokens.append(token)
            i += len(token.text)
        elif char in "'\"":
            token, i = _quoted(text, i)
            tokens.append(token)
        elif char == "`":
            close = text.find("`", i + 1)
            if close < 0:
                raise ConditionError("unterminated string", i, text)
            tokens.append(_Token(_STRING, text[i : close + 1], text[i + 1 : close], i))
            i = close + 1
        elif _name_start(char):
            start = i
            while i < end and _name_char(text[i]):
                i += 1
            tokens.append(_Token(_NAME, text[start:i], None, start))
        elif char == "#" and i + 1 < end and _name_char(text[i + 1]):
            start, i = i, i + 1
            while i < end and _name_char(text[i]):
                i += 1
            raise ConditionError(f"'{text[start:i]}' is not supported, only '#' (the current element)", start, text)
        else:
            op = next((op for op in _OPERATORS if text.startswith(op, i)), None)
            if op is None:
                raise ConditionError(f"unexpected character {char!r}", i, text)
            tokens.append(_Token(_OP, op, None, i))
            i += len(op)
    tokens.append(_Token(_END, "", None, end))
    return tokens


def _number(text: str, start: int) -> _Token:
    """expr-lang's numbers: ints (decimal, 0x, 0o, 0b; '_' anywhere), floats with '.' or an exponent."""
    i, end = start, len(text)
    prefix = text[i + 1 : i + 2].lower() if text[i] == "0" else ""
    radix, real = 10, False
    if prefix in _BASES:
        radix, digits = _BASES[prefix]
        i += 2
        while i < end and text[i] in digits:
            i += 1
    else:
        while i < end and text[i] in _DIGITS:
            i += 1
        if i < end and text[i] == "." and not text.startswith("..", i):  # '1..2' would be a range
            real, i = True, i + 1
            while i < end and text[i] in _DIGITS:
                i += 1
        if i < end and text[i] in "eE":
            real, i = True, i + 1
            if i < end and text[i] in "+-":
                i += 1
            while i < end and text[i] in _DIGITS:
                i += 1
    if i < end and _name_char(text[i]):
        raise ConditionError(f"invalid number {text[start : i + 1]!r}", start, text)
    written = text[start:i]
    digits_only = written.replace("_", "")
    if radix == 10 and not real and len(digits_only.lstrip("0")) > 19:  # past int64; int() refuses 4301 digits
        raise ConditionError(f"number {written!r} is too large", start, text)
    try:
        if real:
            number: float | int = float(digits_only)
        else:
            number = int(digits_only if radix == 10 else digits_only[2:], radix)
    except ValueError:
        raise ConditionError(f"invalid number {written!r}", start, text) from None
    if (isinstance(number, float) and math.isinf(number)) or (isinstance(number, int) and number > _INT64_MAX):
        raise ConditionError(f"number {written!r} is too large", start, text)
    return _Token(_NUMBER, written, number, start)


def _quoted(text: str, start: int) -> tuple[_Token, int]:
    """A '...' or "..." string with Go's escapes; newlines in it read as ``\\n`` (as expr-lang does)."""
    quote, i, end = text[start], start + 1, len(text)
    out: list[str] = []
    while True:
        if i >= end:
            raise ConditionError("unterminated string", start, text)
        char = text[i]
        if char == quote:
            return _Token(_STRING, text[start : i + 1], "".join(out), start), i + 1
        if char == "\r":
            out.append("\n")
            i += 2 if text.startswith("\r\n", i) else 1
        elif char != "\\":
            out.append(char)
            i += 1
        else:
            escape = text[i + 1 : i + 2]
            if not escape:
                raise ConditionError("unterminated string", start, text)
            if escape in _ESCAPES:
                out.append(_ESCAPES[escape])
                i += 2
            elif escape in _HEX_WIDTH:
                digits = text[i + 2 : i + 2 + _HEX_WIDTH[escape]]
                if len(digits) < _HEX_WIDTH[escape] or not set(digits) <= _HEX or int(digits, 16) > 0x10FFFF:
                    raise ConditionError(f"invalid escape '{text[i : i + 2 + len(digits)]}'", i, text)
                out.append(_character(int(digits, 16)))
                i += 2 + len(digits)
            elif escape in "0123":
                digits = text[i + 1 : i + 4]
                if len(digits) < 3 or not set(digits) <= set("01234567"):
                    raise ConditionError(f"invalid escape '{text[i : i + 4]}'", i, text)
                out.append(chr(int(digits, 8)))
                i += 4
            else:
                raise ConditionError(f"invalid escape '{text[i : i + 2]}'", i, text)


def _character(code: int) -> str:
    # Go encodes a lone surrogate as the replacement character; Python would keep an unencodable one.
    return "\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code)


# --- the parser ------------------------------------------------------------------------------------------------

# expr-lang's precedence table (parser/operator): higher binds tighter.
_BINARY = {
    "or": 10,
    "and": 15,
    **dict.fromkeys(("==", "!=", "<", "<=", ">", ">=", "in", "not in"), 20),
    "+": 30,
    "-": 30,
    "*": 60,
    "/": 60,
    "%": 60,
    "**": 100,
    "??": 500,
}
_COMPARISON = 20
_UNARY = {"not": 50, "-": 90, "+": 90}
_ALIASES = {"||": "or", "&&": "and", "^": "**", "!": "not"}
_WORDS = frozenset(("or", "and", "in", "not"))  # names that are operators
_UNSUPPORTED = frozenset(("matches", "contains", "startsWith", "endsWith", "let", "if", "else"))  # expr-lang's
_RESERVED = _WORDS | _UNSUPPORTED
_REFUSED = {
    ".": "member access ('.') is not supported",
    "?.": "optional chaining ('?.') is not supported",
    "..": "ranges ('..') are not supported",
    "|": "the pipe operator ('|') is not supported",
    "{": "maps are not supported; braces are only for a predicate, as in all(result, {# < 0.5})",
    "=": "unexpected '=' (did you mean '=='?)",
}


@dataclasses.dataclass(frozen=True)
class _Signature:
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


_FUNCTIONS = {
    **dict.fromkeys(("all", "any", "none", "one", "filter", "map"), _Signature(2, 2, closure=True)),
    **dict.fromkeys(("count", "sum"), _Signature(1, 2, closure=True)),
    **dict.fromkeys(
        ("len", "abs", "isNaN", "isNil", "asInt", "asFloat", "int", "float", "floor", "ceil", "round", "first", "last"),
        _Signature(1, 1),
    ),
    "isInf": _Signature(1, 2),
    "default": _Signature(2, 2),
    **dict.fromkeys(("min", "max", "mean", "median"), _Signature(1, None)),
}


def parse(text: str) -> Condition:
    """Read a condition; :class:`ConditionError` says where it is wrong."""
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"a condition is at most {MAX_LENGTH} characters", MAX_LENGTH, text)
    parser = _Parser(text, _tokens(text))
    if parser.current.kind == _END:
        raise ConditionError("empty condition", parser.current.offset, text)
    tree = parser.expression(0)
    if parser.current.kind != _END:
        raise parser.unexpected()
    _check_depth(tree, text)
    return Condition(text, tree)


def _check_depth(tree: Node, text: str) -> None:
    """Left-associative chains nest without the parser recursing; the evaluator would recurse on them."""
    stack: list[tuple[Node | Closure, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ConditionError("too deeply nested", node.offset, text)
        stack.extend((child, depth + 1) for child in _children(node))


class _Parser:
    def __init__(self, text: str, tokens: list[_Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.position = 0
        self.depth = 0
        self.closures = 0  # how many closures the parser is inside: '#' is only meaningful there

    @property
    def current(self) -> _Token:
        return self.tokens[self.position]

    def peek(self) -> _Token:
        return self.tokens[min(self.position + 1, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.current
        self.position += 1
        return token

    def error(self, message: str, token: _Token) -> ConditionError:
        return ConditionError(message, token.offset, self.text)

    def unexpected(self) -> ConditionError:
        token = self.current
        if token.kind == _END:
            return self.error("unexpected end of condition", token)
        if token.kind == _OP and token.text in _REFUSED:
            return self.error(_REFUSED[token.text], token)
        if token.kind == _NAME and token.text in _UNSUPPORTED:
            return self.error(f"'{token.text}' is not supported", token)
        return self.error(f"unexpected {token.text!r}", token)

    def expect(self, text: str) -> None:
        if self.current.kind != _OP or self.current.text != text:
            raise self.error(f"expected {text!r}", self.current)
        self.position += 1

    def at(self, text: str) -> bool:
        return self.current.kind == _OP and self.current.text == text

    def binary_op(self) -> tuple[str, int] | None:
        """The binary operator at the current token, canonically spelled, and how many tokens it spans."""
        token = self.current
        if token.kind == _NAME and token.text == "not":
            after = self.peek()
            if after.kind == _NAME and after.text == "in":
                return "not in", 2
            raise self.error("unexpected 'not' (did you mean 'not in'?)", token)
        if token.kind == _NAME:
            return (token.text, 1) if token.text in _WORDS else None
        op = _ALIASES.get(token.text, token.text)
        return (op, 1) if token.kind == _OP and op in _BINARY else None

    def expression(self, precedence: int) -> Node:
        """Precedence climbing, as expr-lang's parser: operands, then operators at least this tight."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("too deeply nested", self.current)
        left = self.operand()
        previous = ""
        while (found := self.binary_op()) is not None:
            op, width = found
            tightness = _BINARY[op]
            if tightness < precedence:
                break
            token = self.current
            if previous == "??" and op != "??":
                raise self.error(f"'??' and {op!r} cannot be mixed without parentheses", token)
            self.position += width
            if tightness == _COMPARISON:
                left = self.comparison(left, op, token)
            else:
                # '**' is right-associative: its right side may hold another '**'
                right = self.expression(tightness if op == "**" else tightness + 1)
                left = Binary(op, left, right, token.offset)
            previous = op
        if self.current.kind == _NAME and self.current.text in _UNSUPPORTED:
            raise self.unexpected()
        if precedence == 0:
            left = self.conditional(left)
        self.depth -= 1
        return left

    def comparison(self, left: Node, op: str, token: _Token) -> Node:
        operands, ops = [left], []
        while True:
            ops.append(op)
            operands.append(self.expression(_COMPARISON + 1))
            found = self.binary_op()
            if found is None or _BINARY[found[0]] != _COMPARISON:
                break
            op = found[0]
            self.position += found[1]
        if len(ops) == 1:
            return Binary(ops[0], operands[0], operands[1], token.offset)
        return Chain(tuple(operands), tuple(ops), token.offset)

    def conditional(self, test: Node) -> Node:
        while self.at("?"):
            token = self.advance()
            then = self.expression(0)
            self.expect(":")
            otherwise = self.expression(0)
            test = Conditional(test, then, otherwise, token.offset)
        return test

    def operand(self) -> Node:
        token = self.current
        if (token.kind == _OP and token.text in ("-", "+", "!")) or (token.kind == _NAME and token.text == "not"):
            self.position += 1
            op = _ALIASES.get(token.text, token.text)
            return Unary(op, self.expression(_UNARY[op]), token.offset)
        return self.postfix(self.primary())

    def primary(self) -> Node:
        token = self.current
        if token.kind in (_NUMBER, _STRING):
            self.position += 1
            return Constant(token.value, token.offset)
        if token.kind == _NAME and token.text not in _RESERVED:
            self.position += 1
            if token.text in ("true", "false"):
                return Constant(token.text == "true", token.offset)
            if token.text == "nil":
                return Constant(None, token.offset)
            if self.at("("):
                return self.call(token)
            return Variable(token.text, token.offset)
        if self.at("("):
            self.position += 1
            inner = self.expression(0)
            self.expect(")")
            return inner
        if self.at("["):
            self.position += 1
            items: list[Node] = []
            while not self.at("]"):
                items.append(self.expression(0))
                if not self.at(","):
                    break
                self.position += 1  # a comma, trailing or not
            self.expect("]")
            return Array(tuple(items), token.offset)
        if self.at("#"):
            if not self.closures:
                raise self.error("'#' is only meaningful inside a predicate, as in all(result, {# < 0.5})", token)
            self.position += 1
            return Element(token.offset)
        raise self.unexpected()

    def call(self, name: _Token) -> Call:
        signature = _FUNCTIONS.get(name.text)
        if signature is None:
            raise self.error(f"unknown function {name.text!r}", name)
        self.position += 1  # the '('
        arguments: list[Node | Closure] = []
        while not self.at(")"):
            if signature.closure and len(arguments) == 1:
                arguments.append(self.closure())
            else:
                arguments.append(self.expression(0))
            if not self.at(","):
                break
            self.position += 1  # a comma, trailing or not
        self.expect(")")
        if len(arguments) < signature.least or (signature.most is not None and len(arguments) > signature.most):
            raise self.error(f"{signature.describe(name.text)}, got {len(arguments)}", name)
        return Call(name.text, tuple(arguments), name.offset)

    def closure(self) -> Closure:
        token = self.current
        braced = self.at("{")  # optional, as in expr-lang: all(result, # < 0.5)
        if braced:
            self.position += 1
        self.closures += 1
        body = self.expression(0)
        self.closures -= 1
        if braced:
            self.expect("}")
        return Closure(body, token.offset)

    def postfix(self, node: Node) -> Node:
        while True:
            token = self.current
            if self.at("["):
                self.position += 1
                if self.at(":"):
                    raise self.error("slicing is not supported", self.current)
                index = self.expression(0)
                if self.at(":"):
                    raise self.error("slicing is not supported", self.current)
                self.expect("]")
                node = Index(node, index, token.offset)
            elif self.at(".") or self.at("?."):
                raise self.unexpected()
            else:
                return node


# --- the evaluator ---------------------------------------------------------------------------------------------


def _is_number(value: object) -> TypeGuard[int | float]:
    # bool is an int to Python, never a number to expr-lang
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _wrap(number: int) -> int:
    """Go's int64 arithmetic: overflow wraps around (and keeps every int convertible to a float)."""
    return (number - _INT64_MIN) % 2**64 + _INT64_MIN


def _kind(value: Value) -> str:
    match value:
        case None:
            return "nil"
        case bool():
            return "bool"
        case int():
            return "int"
        case float():
            return "float"
        case str():
            return "string"
        case _:
            return "array"


def _render(value: Value, depth: int = 0) -> str:
    """A value as the language writes it, for messages (a few levels and elements only)."""
    match value:
        case None:
            return "nil"
        case bool():
            return "true" if value else "false"
        case float() if not math.isfinite(value):
            return "NaN" if math.isnan(value) else "+Inf" if value > 0 else "-Inf"
        case tuple() if depth >= 3:
            return "[...]"
        case tuple():
            items = [_render(item, depth + 1) for item in value[:5]]
            return f"[{', '.join(items)}{', ...' if len(value) > 5 else ''}]"
        case _:
            return repr(value)


def _described(value: Value) -> str:
    """``float 0.5``, ``array [1, 2]``, ``nil``: a value and its kind, shortened (a vector can be long)."""
    shown = _render(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return "nil" if value is None else f"{_kind(value)} {shown}"


def _divide(a: float, b: float) -> float:
    """Go's float64 division: by zero it is ±Inf, or NaN for 0/0."""
    if b != 0:
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _odd_integer(number: float) -> bool:
    return math.isfinite(number) and number == math.floor(number) and math.fmod(number, 2) != 0


def _power(base: float, exponent: float) -> float:
    """Go's math.Pow: where Python raises (overflow, domain) Go answers ±Inf or NaN."""
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return -math.inf if base < 0 and _odd_integer(exponent) else math.inf
    except ValueError:  # 0 to a negative power, or a negative base to a fractional power
        if base == 0:
            return math.copysign(math.inf, base) if _odd_integer(exponent) else math.inf
        return math.nan


def _round(number: float) -> float:
    """Go's math.Round: half away from zero (Python's round is half to even)."""
    if not math.isfinite(number):
        return number
    whole = math.trunc(number)
    if abs(number - whole) >= 0.5:
        whole += 1 if number > 0 else -1
    return math.copysign(float(whole), number)


def _equal(a: Value, b: Value) -> bool:
    """expr-lang's ==: numbers by value (NaN equals nothing), arrays element by element, else same type and value."""
    pairs = [(a, b)]
    while pairs:  # a loop, not recursion: arrays nest
        x, y = pairs.pop()
        if _is_number(x) and _is_number(y):
            if x != y:
                return False
        elif isinstance(x, tuple) and isinstance(y, tuple):
            if len(x) != len(y):
                return False
            pairs.extend(zip(x, y, strict=True))
        elif type(x) is not type(y) or x != y:
            return False
    return True


_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?(inf|infinity)|nan", re.IGNORECASE)


def value(condition: Condition, variables: Mapping[str, Value]) -> Value:
    """The condition's value with these variables (``result``, ``baseline``, ...)."""
    return _Evaluator(condition.text, variables).eval(condition.tree)


def evaluate(condition: Condition, variables: Mapping[str, Value]) -> bool:
    """Whether the condition holds; a condition whose value is not a bool is an :class:`EvaluationError`."""
    result = value(condition, variables)
    if not isinstance(result, bool):
        raise EvaluationError(
            f"a condition must be true or false, this one is {_described(result)}",
            0,
            condition.text,
        )
    return result


class _Evaluator:
    def __init__(self, text: str, variables: Mapping[str, Value]) -> None:
        self.text = text
        self.variables = variables
        self.elements: list[Value] = []  # the closures' current elements, innermost last
        self.steps = 0
        self.checked: set[str] = set()

    def error(self, message: str, node: Node | Closure) -> EvaluationError:
        return EvaluationError(message, node.offset, self.text)

    def eval(self, node: Node) -> Value:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise self.error(f"evaluation took more than {MAX_STEPS} steps", node)
        match node:
            case Constant(value=constant):
                return constant
            case Variable(name=name):
                if name not in self.variables:
                    raise self.error(f"unknown name {name!r}", node)
                if name not in self.checked:
                    self.check(node, self.variables[name])
                    self.checked.add(name)
                return self.variables[name]
            case Element():
                return self.elements[-1]
            case Array(items=items):
                return tuple(self.eval(item) for item in items)
            case Unary():
                return self.unary(node, self.eval(node.operand))
            case Binary(op="and" | "or" as op, left=left, right=right):
                first = self.boolean(left)
                if first is (op == "or"):
                    return first  # short-circuit: the right side is not read
                return self.boolean(right)
            case Binary(op="??", left=left, right=right):
                given = self.eval(left)
                return self.eval(right) if given is None else given
            case Binary(op=op, left=left, right=right):
                return self.binary(node, op, self.eval(left), self.eval(right))
            case Chain(operands=operands, ops=ops):
                a = self.eval(operands[0])
                for op, operand in zip(ops, operands[1:], strict=True):
                    b = self.eval(operand)
                    if not self.binary(node, op, a, b):
                        return False
                    a = b
                return True
            case Conditional(test=test, then=then, otherwise=otherwise):
                return self.eval(then if self.boolean(test) else otherwise)
            case Index(target=target, index=index):
                return self.index(node, self.eval(target), self.eval(index))
            case Call():
                return self.call(node)
            case _:  # pragma: no cover
                assert_never(node)

    def check(self, node: Variable, given: object) -> None:
        """A variable is a value of the language: the caller's lists, big ints or deep nests fail here, cleanly."""
        stack = [(given, 1)]
        while stack:
            item, depth = stack.pop()
            if isinstance(item, tuple):
                if depth > MAX_DEPTH:
                    raise self.error(f"{node.name!r} is nested too deeply", node)
                stack.extend((element, depth + 1) for element in item)
            elif _is_int(item) and not _INT64_MIN <= item <= _INT64_MAX:
                raise self.error(f"{node.name!r} holds {item}, past int64", node)
            elif not (item is None or isinstance(item, (bool, int, float, str))):
                raise self.error(f"{node.name!r} holds a {type(item).__name__}, which a condition cannot read", node)

    def boolean(self, node: Node) -> bool:
        result = self.eval(node)
        if not isinstance(result, bool):
            raise self.error(f"expected true or false, got {_described(result)}", node)
        return result

    def unary(self, node: Unary, operand: Value) -> Value:
        if node.op == "not" and isinstance(operand, bool):
            return not operand
        if node.op == "-" and _is_int(operand):
            return _wrap(-operand)
        if node.op == "-" and _is_number(operand):
            return -operand
        if node.op == "+" and _is_number(operand):
            return operand
        raise self.error(f"invalid operation: {node.op} {_kind(operand)}", node)

    def binary(self, node: Node, op: str, a: Value, b: Value) -> Value:
        if op in ("==", "!="):
            return _equal(a, b) is (op == "==")
        if op in ("in", "not in"):
            return self.contains(node, a, b) is (op == "in")
        if op == "+" and isinstance(a, str) and isinstance(b, str):
            return a + b
        if not (_is_number(a) and _is_number(b)):
            if op in _ORDER and isinstance(a, str) and isinstance(b, str):
                return bool(_ORDER[op](a, b))
            raise self.error(f"invalid operation: {_kind(a)} {op} {_kind(b)}", node)
        if op in _ORDER:
            return bool(_ORDER[op](a, b))
        if op == "/":
            return _divide(float(a), float(b))
        if op == "**":
            return _power(float(a), float(b))
        if op == "%":
            if not (_is_int(a) and _is_int(b)):
                raise self.error(f"invalid operation: {_kind(a)} % {_kind(b)} (% is for ints)", node)
            if b == 0:
                raise self.error("integer divide by zero", node)
            remainder = abs(a) % abs(b)  # Go's %: the sign of the dividend
            return -remainder if a < 0 else remainder
        if _is_int(a) and _is_int(b):
            return _wrap(a + b if op == "+" else a - b if op == "-" else a * b)
        return float(a) + float(b) if op == "+" else float(a) - float(b) if op == "-" else float(a) * float(b)

    def contains(self, node: Node, item: Value, container: Value) -> bool:
        if isinstance(container, tuple):
            return any(_equal(item, element) for element in container)
        if isinstance(container, str) and isinstance(item, str):
            return item in container
        raise self.error(f"invalid operation: {_kind(item)} in {_kind(container)}", node)

    def index(self, node: Index, target: Value, index: Value) -> Value:
        if target is None:
            raise _Missing(f"cannot index nil with {_render(index)}", node.offset, self.text)
        if not isinstance(target, (tuple, str)):
            raise self.error(f"cannot index {_described(target)}", node)
        if not _is_int(index):
            raise self.error(f"an index is an int, not {_described(index)}", node)
        position = index + len(target) if index < 0 else index  # expr-lang counts negative indexes from the end
        if not 0 <= position < len(target):
            raise _Missing(f"index {index} out of range (length {len(target)})", node.offset, self.text)
        return target[position]

    # --- functions

    def call(self, node: Call) -> Value:
        name, arguments = node.function, node.arguments
        if _FUNCTIONS[name].closure:
            return self.iterate(node, self.array(node, arguments[0]), arguments[1:])
        expressions = [argument for argument in arguments if not isinstance(argument, Closure)]
        if name == "default":
            try:
                first = self.eval(expressions[0])
            except _Missing:  # default(result[0], 0) on an empty result: how people use it
                first = None
            return self.eval(expressions[1]) if first is None else first
        values = [self.eval(argument) for argument in expressions]
        return self.function(node, name, values)

    def array(self, node: Call, argument: Node | Closure) -> tuple[Value, ...]:
        assert not isinstance(argument, Closure)  # the parser puts closures second only
        items = self.eval(argument)
        if not isinstance(items, tuple):
            raise self.error(f"{node.function}() needs an array, got {_described(items)}", node)
        return items

    def apply(self, closure: Closure, item: Value) -> Value:
        self.elements.append(item)
        try:
            return self.eval(closure.body)
        finally:
            self.elements.pop()  # also when default() catches a failure inside the closure

    def test(self, closure: Closure, item: Value) -> bool:
        result = self.apply(closure, item)
        if not isinstance(result, bool):
            raise self.error(f"a predicate must be true or false, got {_described(result)}", closure)
        return result

    def iterate(self, node: Call, items: tuple[Value, ...], rest: tuple[Node | Closure, ...]) -> Value:
        closure = rest[0] if rest else None
        assert closure is None or isinstance(closure, Closure)
        name = node.function
        if name == "sum":
            values = items if closure is None else tuple(self.apply(closure, item) for item in items)
            return self.total(node, values)
        if closure is None:  # count(array) counts the true elements, as count(array, {#})
            return sum(self.truth(node, item) for item in items)
        match name:
            case "all":
                return all(self.test(closure, item) for item in items)
            case "any":
                return any(self.test(closure, item) for item in items)
            case "none":
                return not any(self.test(closure, item) for item in items)
            case "one":
                return [self.test(closure, item) for item in items].count(True) == 1
            case "filter":
                return tuple(item for item in items if self.test(closure, item))
            case "map":
                return tuple(self.apply(closure, item) for item in items)
            case _:
                return sum(self.test(closure, item) for item in items)  # count

    def truth(self, node: Call, item: Value) -> bool:
        if not isinstance(item, bool):
            raise self.error(f"count() without a predicate counts booleans, got {_described(item)}", node)
        return item

    def total(self, node: Call, values: tuple[Value, ...]) -> Value:
        total: int | float = 0
        for item in values:
            if not _is_number(item):
                raise self.error(f"sum() adds numbers, got {_described(item)}", node)
            # Go adds one by one; ints stay int64 until a float joins
            total = _wrap(total + item) if _is_int(total) and _is_int(item) else float(total) + float(item)
        return total

    def numbers(self, node: Call, values: list[Value]) -> list[int | float]:
        """min/max/mean/median take numbers and arrays of them, flattened."""
        flat: list[int | float] = []
        stack = list(reversed(values))
        while stack:
            item = stack.pop()
            if isinstance(item, tuple):
                stack.extend(reversed(item))
            elif _is_number(item):
                flat.append(item)
            else:
                raise self.error(f"{node.function}() takes numbers, got {_described(item)}", node)
        return flat

    def number(self, node: Call, item: Value) -> int | float:
        if not _is_number(item):
            raise self.error(f"{node.function}() takes a number, got {_described(item)}", node)
        return item

    def function(self, node: Call, name: str, values: list[Value]) -> Value:
        match name:
            case "len":
                if not isinstance(values[0], (tuple, str)):
                    raise self.error(f"len() takes an array or a string, got {_kind(values[0])}", node)
                return len(values[0])
            case "isNil":
                return values[0] is None
            case "first" | "last":
                items = values[0]
                if items is None or isinstance(items, tuple):
                    return items[0 if name == "first" else -1] if items else None  # nil when there is none
                raise self.error(f"{name}() takes an array, got {_kind(items)}", node)
            case "asInt" | "int":
                return self.integer(node, values[0])
            case "asFloat" | "float":
                return self.real(node, values[0])
            case "min" | "max" | "mean" | "median":
                return self.aggregate(node, name, self.numbers(node, values))
        number = self.number(node, values[0])
        match name:
            case "abs":
                return _wrap(abs(number)) if _is_int(number) else abs(number)
            case "isNaN":
                return isinstance(number, float) and math.isnan(number)
            case "isInf":
                sign = self.number(node, values[1]) if len(values) > 1 else 0
                infinite = isinstance(number, float) and math.isinf(number)
                return infinite and ((sign >= 0 and number > 0) or (sign <= 0 and number < 0))  # Go's math.IsInf
            case "floor":
                return float(math.floor(number)) if math.isfinite(number) else float(number)
            case "ceil":
                return float(math.ceil(number)) if math.isfinite(number) else float(number)
            case _:
                return _round(float(number))  # round

    def aggregate(self, node: Call, name: str, numbers: list[int | float]) -> Value:
        if any(isinstance(n, float) and math.isnan(n) for n in numbers):
            return math.nan  # NaN in, NaN out (math.Min's rule; expr-lang's answer would depend on the order)
        if name in ("min", "max"):
            if not numbers:
                return None  # expr-lang: min([]) is nil, so default(min(result), 0) works
            return min(numbers) if name == "min" else max(numbers)
        if not numbers:
            return 0.0
        if name == "mean":
            total = 0.0
            for number in numbers:  # one by one, as Go: math.fsum would raise on inf - inf
                total += number
            return total / len(numbers)
        ordered = sorted(numbers)
        middle = len(ordered) // 2
        if len(ordered) % 2:
            return float(ordered[middle])
        return (float(ordered[middle - 1]) + float(ordered[middle])) / 2

    def integer(self, node: Call, item: Value) -> int:
        """Argo Rollouts' asInt (and expr-lang's int): truncates a float, parses a string."""
        if _is_int(item):
            return item
        if isinstance(item, float):
            if not math.isfinite(item) or not _INT64_MIN <= math.trunc(item) <= _INT64_MAX:
                raise self.error(f"{node.function}() cannot convert {_render(item)} to an int", node)
            return math.trunc(item)
        if isinstance(item, str) and _INTEGER.fullmatch(item) and _INT64_MIN <= int(item) <= _INT64_MAX:
            return int(item)
        raise self.error(f"{node.function}() cannot convert {_described(item)} to an int", node)

    def real(self, node: Call, item: Value) -> float:
        """Argo Rollouts' asFloat (and expr-lang's float): parses a string as Go's ParseFloat does."""
        if _is_number(item):
            return float(item)
        if isinstance(item, str) and _FLOAT.fullmatch(item):
            number = float(item)
            if not math.isinf(number) or "inf" in item.lower():
                return number
        raise self.error(f"{node.function}() cannot convert {_described(item)} to a float", node)
