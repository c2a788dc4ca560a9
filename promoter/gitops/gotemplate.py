"""A small, safe subset of Go's ``text/template``: what ApplicationSet templates and plain Helm charts use.

Pure: template text and data in, text out; nothing is looked up outside the data given. Anything outside the
subset is a :class:`TemplateError` naming the template, so a caller can say "only Argo CD knows" instead of
guessing.

Supported:

- text and ``{{ pipeline }}`` actions, comments ``{{/* ... */}}``, the trim markers ``{{-`` and ``-}}``;
- operands: ``.`` and field chains (``.path.basename``), ``$`` and variables (``$x``, ``$x.name``), string
  (``"..."``, raw), number, ``true``/``false``/``nil`` literals, parenthesised pipelines;
- pipelines ``.x | f "a"`` (the piped value goes last), ``$x := ...`` and ``$x = ...``;
- ``if``/``else if``/``else``/``end``, ``with``/``else``/``end``, and ``range`` over lists and maps (keys in
  order, as Go does; ``$v :=`` or ``$k, $v :=``; ``else`` when empty);
- Go's functions ``and or not eq ne lt le gt ge index len print printf`` (``printf`` verbs ``%s %v %d %q
  %t %%``) and Sprig's ``default empty coalesce ternary lower upper title trim trimPrefix trimSuffix
  replace contains hasPrefix hasSuffix quote squote toString join splitList trunc list dict toJson toYaml
  indent nindent``; Argo CD adds ``normalize``, Helm ``required``.

Not supported: ``define``/``template``/``block``, Helm's ``include``/``tpl``/``lookup``, ``break``/``continue``,
methods, and every other function. A missing key prints ``<no value>`` as Go does (``missing="error"`` is
Argo CD's ``missingkey=error``); as in Go, a missing value given to a function that wants a string is an
error.
"""

from __future__ import annotations

import dataclasses
import decimal
import functools
import io
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import SafeRepresenter
from ruamel.yaml.resolver import VersionedResolver

from promoter.gitops import manifests

NO_VALUE = "<no value>"
_SPACE = " \t\r\n"
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FIELDS = re.compile(r"(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
_NUMBER = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)")
_UNSUPPORTED_ACTIONS = frozenset({"define", "template", "block", "break", "continue"})


class TemplateError(ValueError):
    """A template outside the subset, or one Go would refuse; the message names the template."""


class _Missing:
    """A key that is not there: prints ``<no value>``, is false, and is nil to the functions."""

    def __repr__(self) -> str:
        return NO_VALUE


MISSING: Any = _Missing()
_NOARG: Any = object()


# --- the parse tree -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Literal:
    value: Any


@dataclasses.dataclass(frozen=True)
class _Field:
    names: tuple[str, ...]  # from dot


@dataclasses.dataclass(frozen=True)
class _Var:
    name: str  # "$" is the root
    names: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class _Ident:
    name: str  # a function


@dataclasses.dataclass(frozen=True)
class _Chain:
    pipe: _Pipe
    names: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class _Command:
    args: tuple[Any, ...]


@dataclasses.dataclass(frozen=True)
class _Pipe:
    declare: tuple[str, ...]
    assign: bool
    commands: tuple[_Command, ...]


@dataclasses.dataclass(frozen=True)
class _Output:
    pipe: _Pipe


@dataclasses.dataclass
class _Branching:  # if / with: the first branch whose pipeline is true runs, else ``otherwise``
    kind: str
    branches: list[tuple[_Pipe, list[Any]]]
    otherwise: list[Any] | None = None


@dataclasses.dataclass
class _Range:
    pipe: _Pipe
    key: str | None
    value: str | None
    body: list[Any]
    otherwise: list[Any] | None = None


@dataclasses.dataclass(frozen=True)
class _Token:
    kind: str  # str, num, field, var, ident, (, ), |, :=, =, ",", chain
    value: Any


# --- lexing ---------------------------------------------------------------------------------------------


def _lex(text: str, start: int, where: str) -> tuple[list[_Token], int, bool]:
    """The tokens of the action starting at ``start`` (after ``{{``); where it ends; whether ``-}}`` trims."""
    tokens: list[_Token] = []
    i, n = start, len(text)
    while True:
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n:
            raise TemplateError(f"{where}: unclosed action")
        if text.startswith("}}", i):
            return tokens, i + 2, False
        if text.startswith("-}}", i) and i > start and text[i - 1] in _SPACE:
            return tokens, i + 3, True
        char = text[i]
        if char in '"`':
            value, i = _string_literal(text, i, where)
            tokens.append(_Token("str", value))
        elif char == "." and (fields := _FIELDS.match(text, i)):
            names = tuple(fields.group()[1:].split("."))
            follows_paren = bool(tokens) and tokens[-1].kind == ")" and text[i - 1] == ")"
            tokens.append(_Token("chain" if follows_paren else "field", names))
            i = fields.end()
        elif char == ".":
            tokens.append(_Token("field", ()))
            i += 1
        elif char == "$":
            ident = _IDENT.match(text, i + 1)
            name = "$" + (ident.group() if ident else "")
            i = ident.end() if ident else i + 1
            fields = _FIELDS.match(text, i)
            tokens.append(_Token("var", (name, tuple(fields.group()[1:].split(".")) if fields else ())))
            i = fields.end() if fields else i
        elif text.startswith(":=", i):
            tokens.append(_Token(":=", None))
            i += 2
        elif char in "()|=,":
            tokens.append(_Token(char, None))
            i += 1
        elif (number := _NUMBER.match(text, i)) and number.group() not in ("+", "-"):
            tokens.append(_Token("num", _number(number.group(), where)))
            i = number.end()
        elif ident := _IDENT.match(text, i):
            word = ident.group()
            literal = {"true": True, "false": False, "nil": None}
            tokens.append(_Token("lit", literal[word]) if word in literal else _Token("ident", word))
            i = ident.end()
        else:
            raise TemplateError(f"{where}: unexpected {char!r} in an action")


def _string_literal(text: str, start: int, where: str) -> tuple[str, int]:
    """A quoted (Go escapes, read as JSON's) or raw string at ``start``, and where it ends."""
    if text[start] == "`":
        end = text.find("`", start + 1)
        if end < 0:
            raise TemplateError(f"{where}: unterminated raw string")
        return text[start + 1 : end], end + 1
    end = start + 1
    while end < len(text) and text[end] != '"':
        end += 2 if text[end] == "\\" else 1
    if end >= len(text):
        raise TemplateError(f"{where}: unterminated quoted string")
    try:
        return str(json.loads(text[start : end + 1])), end + 1
    except ValueError:
        raise TemplateError(f"{where}: unsupported escape in {text[start : end + 1]}") from None


def _number(text: str, where: str) -> int | float:
    cleaned = text.replace("_", "")
    try:
        if cleaned.lstrip("+-").lower().startswith("0x"):
            return int(cleaned, 16)
        return float(cleaned) if any(c in cleaned for c in ".eE") else int(cleaned)
    except ValueError:
        raise TemplateError(f"{where}: bad number {text!r}") from None


# --- parsing --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _parse(template: str) -> list[Any]:
    """The template's nodes; cached, since an ApplicationSet renders the same strings for every parameter set."""
    where = f"template {template!r}"
    root: list[Any] = []
    stack: list[tuple[Any, list[Any]]] = []  # open blocks and the list their nodes go to now
    body = root
    pos, trim_next = 0, False
    while True:
        start = template.find("{{", pos)
        text = template[pos:] if start < 0 else template[pos:start]
        if trim_next:
            text = text.lstrip(_SPACE)
        inner = start + 2
        if start >= 0 and template.startswith("-", inner) and template[inner + 1 : inner + 2] in tuple(_SPACE):
            text = text.rstrip(_SPACE)
            inner += 1
        if text:
            body.append(text)
        if start < 0:
            break
        comment = inner
        while comment < len(template) and template[comment] in _SPACE:
            comment += 1
        if template.startswith("/*", comment):
            close = template.find("*/", comment + 2)
            if close < 0:
                raise TemplateError(f"{where}: unclosed comment")
            tokens, pos, trim_next = _lex(template, close + 2, where)
            if tokens:
                raise TemplateError(f"{where}: text after a comment")
            continue
        tokens, pos, trim_next = _lex(template, inner, where)
        body = _action(tokens, stack, body, where)
    if stack:
        block = stack[-1][0]
        raise TemplateError(f"{where}: unclosed {block.kind if isinstance(block, _Branching) else 'range'}")
    return root


def _action(tokens: list[_Token], stack: list[tuple[Any, list[Any]]], body: list[Any], where: str) -> list[Any]:
    """Add one action to the tree; the node list the next nodes go to."""
    if not tokens:
        raise TemplateError(f"{where}: missing value for command")
    word = tokens[0].value if tokens[0].kind == "ident" else None
    if word in _UNSUPPORTED_ACTIONS:
        raise TemplateError(f"{where}: unsupported action {word!r}")
    if word in ("if", "with"):
        branch = _Branching(word, [(_pipe(tokens[1:], where), [])])
        body.append(branch)
        stack.append((branch, body))
        return branch.branches[0][1]
    if word == "range":
        key, value, rest = _range_variables(tokens[1:], where)
        loop = _Range(_pipe(rest, where), key, value, [])
        body.append(loop)
        stack.append((loop, body))
        return loop.body
    if word == "else":
        if not stack:
            raise TemplateError(f"{where}: unexpected else")
        block: _Branching | _Range = stack[-1][0]
        if len(tokens) > 1:
            nested = tokens[1].value if tokens[1].kind == "ident" else None
            if not isinstance(block, _Branching) or nested != block.kind or block.otherwise is not None:
                raise TemplateError(f"{where}: unexpected else {nested or ''}".rstrip())
            block.branches.append((_pipe(tokens[2:], where), []))
            return block.branches[-1][1]
        if block.otherwise is not None:
            raise TemplateError(f"{where}: a second else")
        otherwise: list[Any] = []
        block.otherwise = otherwise
        return otherwise
    if word == "end":
        if not stack or len(tokens) > 1:
            raise TemplateError(f"{where}: unexpected end")
        outer: list[Any] = stack.pop()[1]
        return outer
    body.append(_Output(_pipe(tokens, where)))
    return body


def _range_variables(tokens: list[_Token], where: str) -> tuple[str | None, str | None, list[_Token]]:
    kinds = [t.kind for t in tokens[:4]]
    if kinds[:2] == ["var", ":="]:
        return None, tokens[0].value[0], tokens[2:]
    if kinds[:4] == ["var", ",", "var", ":="]:
        return tokens[0].value[0], tokens[2].value[0], tokens[4:]
    return None, None, tokens


def _pipe(tokens: list[_Token], where: str) -> _Pipe:
    declare: tuple[str, ...] = ()
    assign = False
    if len(tokens) >= 2 and tokens[0].kind == "var" and tokens[1].kind in (":=", "="):
        declare, assign, tokens = (tokens[0].value[0],), tokens[1].kind == "=", tokens[2:]
    commands: list[_Command] = []
    current: list[Any] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "|":
            if not current:
                raise TemplateError(f"{where}: missing command before |")
            commands.append(_Command(tuple(current)))
            current = []
            i += 1
            continue
        operand, i = _operand(tokens, i, where)
        current.append(operand)
    if not current:
        raise TemplateError(f"{where}: missing value for command")
    commands.append(_Command(tuple(current)))
    return _Pipe(declare, assign, tuple(commands))


def _operand(tokens: list[_Token], i: int, where: str) -> tuple[Any, int]:
    token = tokens[i]
    if token.kind in ("str", "num", "lit"):
        return _Literal(token.value), i + 1
    if token.kind == "field":
        return _Field(token.value), i + 1
    if token.kind == "var":
        return _Var(*token.value), i + 1
    if token.kind == "ident":
        return _Ident(token.value), i + 1
    if token.kind == "(":
        depth, end = 1, i + 1
        while end < len(tokens) and depth:
            depth += {"(": 1, ")": -1}.get(tokens[end].kind, 0)
            end += 1
        if depth:
            raise TemplateError(f"{where}: unclosed left paren")
        inner = _pipe(tokens[i + 1 : end - 1], where)
        if end < len(tokens) and tokens[end].kind == "chain":
            return _Chain(inner, tokens[end].value), end + 1
        return inner, end
    raise TemplateError(f"{where}: unexpected {token.kind!r} in an operand")


# --- evaluation -----------------------------------------------------------------------------------------


def render(
    template: str,
    data: Any,
    functions: Mapping[str, Callable[..., Any]] | None = None,
    missing: str = "default",
) -> str:
    """``template`` executed on ``data``. ``missing`` is Go's ``missingkey`` option: ``default`` (a missing key
    is no value, and so is any field below it), ``zero`` (Helm's: a missing key is nil, and a field of nil is
    an error) or ``error``."""
    if missing not in ("default", "zero", "error"):
        raise ValueError(f"missingkey={missing} is not an option")
    nodes = _parse(template)
    run = _Run(template, data, ARGOCD if functions is None else functions, missing)
    out = io.StringIO()
    run.nodes(nodes, data, out)
    return out.getvalue()


class _Run:
    def __init__(self, template: str, root: Any, functions: Mapping[str, Callable[..., Any]], missing: str) -> None:
        shown = template if len(template) <= 80 else template[:60].rstrip() + " …"  # (a chart's file is long)
        self.where = f"template {shown!r}"
        self.functions = functions
        self.missing = missing
        self.variables: list[tuple[str, Any]] = [("$", root)]

    def nodes(self, nodes: Sequence[Any], dot: Any, out: io.StringIO) -> None:
        for node in nodes:
            if isinstance(node, str):
                out.write(node)
            elif isinstance(node, _Output):
                value = self.pipe(node.pipe, dot)
                if not node.pipe.declare:
                    out.write(text(value))
            elif isinstance(node, _Branching):
                self.branching(node, dot, out)
            else:
                self.range(node, dot, out)

    def branching(self, node: _Branching, dot: Any, out: io.StringIO) -> None:
        mark = len(self.variables)
        try:
            for pipe, body in node.branches:
                value = self.pipe(pipe, dot)
                if truth(value):
                    self.nodes(body, value if node.kind == "with" else dot, out)
                    return
            if node.otherwise is not None:
                self.nodes(node.otherwise, dot, out)
        finally:
            del self.variables[mark:]

    def range(self, node: _Range, dot: Any, out: io.StringIO) -> None:
        mark = len(self.variables)
        try:
            value = self.pipe(node.pipe, dot)
            if isinstance(value, Mapping):
                items: list[tuple[Any, Any]] = [(k, value[k]) for k in sorted(value, key=str)]
            elif isinstance(value, list | tuple):
                items = list(enumerate(value))
            elif value is None or value is MISSING:
                items = []
            else:
                raise TemplateError(f"{self.where}: range can't iterate over {text(value)}")
            for key, item in items:
                inner = len(self.variables)
                if node.key is not None:
                    self.variables.append((node.key, key))
                if node.value is not None:
                    self.variables.append((node.value, item))
                self.nodes(node.body, item, out)
                del self.variables[inner:]
            if not items and node.otherwise is not None:
                self.nodes(node.otherwise, dot, out)
        finally:
            del self.variables[mark:]

    def pipe(self, pipe: _Pipe, dot: Any) -> Any:
        value: Any = _NOARG
        for command in pipe.commands:
            value = self.command(command, dot, value)
        if value is None:
            # Go unwraps a pipeline's nil into no value, and a field of no value is no value: so Helm's
            # idiom ``(.x).y`` (or ``$x := .x`` then ``$x.y``) reads nothing where ``.x.y`` fails on nil
            value = MISSING
        if pipe.declare:
            name = pipe.declare[0]
            if pipe.assign:
                for index in range(len(self.variables) - 1, -1, -1):
                    if self.variables[index][0] == name:
                        self.variables[index] = (name, value)
                        break
                else:
                    raise TemplateError(f"{self.where}: undefined variable {name}")
            else:
                self.variables.append((name, value))
        return value

    def command(self, command: _Command, dot: Any, final: Any) -> Any:
        first = command.args[0]
        if isinstance(first, _Ident):
            args = [self.arg(arg, dot) for arg in command.args[1:]]
            if final is not _NOARG:
                args.append(final)
            return self.call(first.name, args)
        if len(command.args) > 1 or final is not _NOARG:
            raise TemplateError(f"{self.where}: can't give argument to non-function {_describe(first)}")
        return self.arg(first, dot)

    def call(self, name: str, args: list[Any]) -> Any:
        function = self.functions.get(name)
        if function is None:
            raise TemplateError(f"{self.where}: unsupported function {name!r}")
        try:
            return function(*args)
        except TemplateError as exc:
            raise TemplateError(f"{self.where}: {name}: {exc}") from None
        except (TypeError, ValueError, IndexError, KeyError) as exc:
            raise TemplateError(f"{self.where}: error calling {name}: {exc}") from None

    def arg(self, arg: Any, dot: Any) -> Any:
        if isinstance(arg, _Literal):
            return arg.value
        if isinstance(arg, _Field):
            return self.fields(dot, arg.names)
        if isinstance(arg, _Var):
            return self.fields(self.variable(arg.name), arg.names)
        if isinstance(arg, _Ident):
            return self.call(arg.name, [])
        if isinstance(arg, _Chain):
            return self.fields(self.pipe(arg.pipe, dot), arg.names)
        return self.pipe(arg, dot)

    def variable(self, name: str) -> Any:
        for known, value in reversed(self.variables):
            if known == name:
                return value
        raise TemplateError(f"{self.where}: undefined variable {name}")

    def fields(self, value: Any, names: tuple[str, ...]) -> Any:
        for name in names:
            if isinstance(value, Mapping):
                if name in value:
                    value = value[name]
                elif self.missing == "error":
                    raise TemplateError(f'{self.where}: map has no entry for key "{name}"')
                else:
                    value = None if self.missing == "zero" else MISSING
            elif value is MISSING:
                if self.missing == "error":
                    raise TemplateError(f'{self.where}: nil data; no entry for key "{name}"')
            elif value is None:
                raise TemplateError(f"{self.where}: nil pointer evaluating interface {{}}.{name}")
            else:
                raise TemplateError(f"{self.where}: can't evaluate field {name} in type {_go_type(value)}")
        return value


def _describe(arg: Any) -> str:
    if isinstance(arg, _Field):
        return "." + ".".join(arg.names)
    if isinstance(arg, _Var):
        return ".".join((arg.name, *arg.names))
    if isinstance(arg, _Literal):
        return text(arg.value)
    return "(...)"


# --- values as Go prints and tests them -----------------------------------------------------------------


def text(value: Any) -> str:
    """A value as ``{{ }}`` prints it (Go's ``%v``)."""
    if value is None or value is MISSING:
        return NO_VALUE
    return format_value(value)


def format_value(value: Any) -> str:
    if value is None or value is MISSING:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return go_float(float(value))  # (the data's numbers are float64 to Go: JSON's, and sigs.k8s.io/yaml's)
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{format_value(value[k])}" for k in sorted(value, key=str)) + "]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(format_value(v) for v in value) + "]"
    return str(value)


def go_float(value: float) -> str:
    """A float64 as Go's ``%v`` prints it: the shortest digits, in exponent form from 1e+06 on (and below
    1e-04), so ``1000000`` prints ``1e+06`` and ``8080`` prints ``8080``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return sign + "0"
    exact = decimal.Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, exact.digits))
    point = len(digits) + int(exact.exponent)  # where the decimal point falls after the digits' first
    exponent = point - 1
    if exponent < -4 or exponent >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'+' if exponent >= 0 else '-'}{abs(exponent):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def empty(value: Any) -> bool:
    """Sprig's ``empty``: nil, false, zero, and empty strings and collections."""
    if value is None or value is MISSING or value is False:
        return True
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == 0
    if isinstance(value, str | list | tuple | Mapping):
        return len(value) == 0
    return False


def truth(value: Any) -> bool:
    return not empty(value)


def _go_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "[]interface {}"
    return type(value).__name__


def _string(value: Any) -> str:
    """A string argument: Go refuses a missing value or another type where a function wants a string."""
    if isinstance(value, str):
        return value
    if value is None or value is MISSING:
        raise TemplateError("invalid value; expected string")
    raise TemplateError(f"wrong type for value; expected string; got {_go_type(value)}")


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TemplateError(f"wrong type for value; expected int; got {_go_type(value)}")
    return int(value)


def _plain(value: Any) -> Any:
    return None if value is MISSING else value


# --- functions --------------------------------------------------------------------------------------------


def _and(*args: Any) -> Any:
    for arg in args:
        if not truth(arg):
            return arg
    return args[-1]


def _or(*args: Any) -> Any:
    for arg in args:
        if truth(arg):
            return arg
    return args[-1]


def _eq(first: Any, *others: Any) -> bool:
    """Go's ``eq``: basic values of different kinds (a bool and a string, a number and a string) are not
    equal or unequal, an error (so ``eq .enabled "true"`` fails on a YAML bool, as in Argo CD)."""
    if not others:
        raise TemplateError("missing argument for comparison")
    for other in others:
        kinds = {_basic(first), _basic(other)}
        if len(kinds) == 2 and None not in kinds:
            raise TemplateError("incompatible types for comparison")
    return any(_plain(first) == _plain(other) for other in others)


def _basic(value: Any) -> str | None:
    """Go's basic kind of a value (numbers all one: the data's are float64), None for nil or a collection."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else None


def _compare(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(a: Any, b: Any) -> bool:
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
        if not numbers and not (isinstance(a, str) and isinstance(b, str)):
            raise TemplateError("incompatible types for comparison")
        return test(a, b)

    return compare


def _index(item: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(item, Mapping):
            item = item.get(key, MISSING)
        elif isinstance(item, list | tuple):
            position = _integer(key)
            if not 0 <= position < len(item):
                raise TemplateError(f"index out of range: {position}")
            item = item[position]
        elif item is None or item is MISSING:
            raise TemplateError("index of untyped nil")
        else:
            raise TemplateError(f"can't index item of type {_go_type(item)}")
    return item


def _len(value: Any) -> int:
    if isinstance(value, str | list | tuple | Mapping):
        return len(value)
    raise TemplateError(f"len of type {_go_type(value)}")


_VERB = re.compile(r"%(.?)", re.DOTALL)


def _printf(form: Any, *args: Any) -> str:
    pattern = _string(form)
    values = list(args)

    def one(match: re.Match[str]) -> str:
        verb = match.group(1)
        if verb == "%":
            return "%"
        if not verb or verb not in "svdqt":
            raise TemplateError(f"printf verb '%{verb}' is not supported")
        if not values:
            return f"%!{verb}(MISSING)"
        value = values.pop(0)
        return json.dumps(format_value(value), ensure_ascii=False) if verb == "q" else format_value(value)

    return _VERB.sub(one, pattern)


def _print(*args: Any) -> str:
    # Go's Sprint puts spaces only between operands when neither is a string
    out = ""
    for index, arg in enumerate(args):
        if index and not isinstance(arg, str) and not isinstance(args[index - 1], str):
            out += " "
        out += format_value(arg)
    return out


def _default(fallback: Any, *given: Any) -> Any:
    return fallback if not given or empty(given[0]) else given[0]


def _coalesce(*values: Any) -> Any:
    return next((v for v in values if not empty(v)), None)


def _ternary(if_true: Any, if_false: Any, test: Any) -> Any:
    return if_true if truth(test) else if_false


def _strval(value: Any) -> str:
    return value if isinstance(value, str) else format_value(value)


def _quote(*values: Any) -> str:
    return " ".join(json.dumps(_strval(v), ensure_ascii=False) for v in values if _plain(v) is not None)


def _squote(*values: Any) -> str:
    return " ".join(f"'{_strval(v)}'" for v in values if _plain(v) is not None)


def _join(separator: Any, values: Any) -> str:
    items = values if isinstance(values, list | tuple) else [values]
    return _string(separator).join(_strval(v) for v in items if _plain(v) is not None)


def _trunc(count: Any, value: Any) -> str:
    size, text_value = _integer(count), _string(value)
    if size < 0:
        return text_value[max(len(text_value) + size, 0) :]
    return text_value[:size]


def _dict(*pairs: Any) -> dict[str, Any]:
    return {_strval(pairs[i]): (pairs[i + 1] if i + 1 < len(pairs) else "") for i in range(0, len(pairs), 2)}


_GO_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _to_json(value: Any) -> str:
    """Go's ``json.Marshal``: keys sorted, and ``<``, ``>``, ``&`` escaped (they can only be in strings)."""
    return json.dumps(_plain(value), separators=(",", ":"), ensure_ascii=False, sort_keys=True).translate(_GO_ESCAPES)


def _to_yaml(value: Any) -> str:
    """Helm's ``toYaml`` (go-yaml v2 by way of sigs.k8s.io/yaml): keys sorted, block style, and a string that
    YAML 1.1 would read as something else (``"yes"``, ``"on"``, ``"1.0"``, ``"~"``) double-quoted, so that the
    rendered text reads back as the same string; a string with a line break is a literal block."""
    if value is None or value is MISSING:
        return "null"
    out = io.StringIO()
    _go_yaml().dump(value, out)
    return out.getvalue().removesuffix("\n").removesuffix("\n...")


_STR = "tag:yaml.org,2002:str"


@functools.cache
def _go_yaml() -> YAML:
    resolver = VersionedResolver(version=manifests.GO_YAML)

    def represent_str(representer: SafeRepresenter, data: str) -> ScalarNode:
        style = None
        if "\n" in data:
            style = "|"
        elif resolver.resolve(ScalarNode, data, (True, False)) != _STR:
            style = '"'
        return representer.represent_scalar(_STR, data, style=style)

    class GoRepresenter(SafeRepresenter):  # its own table: SafeRepresenter's stays as it is
        pass

    GoRepresenter.add_representer(str, represent_str)
    yaml = YAML(typ="safe", pure=True)
    yaml.Representer = GoRepresenter
    yaml.default_flow_style = False
    return yaml


def _indent(count: Any, value: Any) -> str:
    pad = " " * _integer(count)
    return pad + _string(value).replace("\n", "\n" + pad)


def _has_key(mapping: Any, key: Any) -> bool:
    return _mapping(mapping, "hasKey") is not None and _string(key) in mapping


def _omit(mapping: Any, *keys: Any) -> dict[str, Any]:
    dropped = {_string(key) for key in keys}
    return {k: v for k, v in (_mapping(mapping, "omit") or {}).items() if k not in dropped}


def _pick(mapping: Any, *keys: Any) -> dict[str, Any]:
    given = _mapping(mapping, "pick") or {}
    return {k: given[k] for k in (_string(key) for key in keys) if k in given}


def _keys(*mappings: Any) -> list[str]:
    return [key for mapping in mappings for key in (_mapping(mapping, "keys") or {})]


def _get(mapping: Any, key: Any) -> Any:
    return (_mapping(mapping, "get") or {}).get(_string(key), "")


def _dig(*args: Any) -> Any:
    """``dig "a" "b" default dict``: the value at a.b, else the default."""
    if len(args) < 3:
        raise TemplateError("dig needs at least a key, a default and a dict")
    *keys, fallback, value = args
    for key in keys:
        found = _mapping(value, "dig")
        if found is None or _string(key) not in found:
            return fallback
        value = found[_string(key)]
    return value


def _has(needle: Any, haystack: Any) -> bool:
    return isinstance(haystack, list | tuple) and any(_plain(needle) == _plain(item) for item in haystack)


def _first(values: Any) -> Any:
    return _list(values, "first")[0] if _list(values, "first") else None


def _last(values: Any) -> Any:
    return _list(values, "last")[-1] if _list(values, "last") else None


def _uniq(values: Any) -> list[Any]:
    kept: list[Any] = []
    for value in _list(values, "uniq"):
        if not any(_plain(value) == _plain(seen) for seen in kept):
            kept.append(value)
    return kept


def _mapping(value: Any, function: str) -> Mapping[str, Any] | None:
    """A dict argument (nil is an empty one, as Sprig's functions see a nil map)."""
    if value is None or value is MISSING:
        return None
    if not isinstance(value, Mapping):
        raise TemplateError(
            f"{function}: wrong type for value; expected map[string]interface {{}}; got {_go_type(value)}"
        )
    return value


def _list(value: Any, function: str) -> list[Any]:
    if value is None or value is MISSING:
        return []
    if not isinstance(value, list | tuple):
        raise TemplateError(f"{function}: cannot find {function} on type {_go_type(value)}")
    return list(value)


def _required(message: Any, value: Any) -> Any:
    if value is None or value is MISSING or value == "":
        raise TemplateError(_strval(message))
    return value


def normalize(name: str) -> str:
    """Argo CD's ``SanitizeName``: lower case, ``[^-a-z0-9.]`` as ``-``, at most 253 characters, no ``-``/``.``
    at either end (a valid Kubernetes name from a directory or cluster name)."""
    cleaned = re.sub(r"[^-a-z0-9.]", "-", name.lower())[:253]
    return cleaned.strip("-.")


def _strings(function: Callable[..., Any]) -> Callable[..., Any]:
    """A Sprig string function: every argument must be a string, as Go's typed parameters demand."""

    def call(*args: Any) -> Any:
        return function(*(_string(arg) for arg in args))

    return call


BASE: Mapping[str, Callable[..., Any]] = {
    "and": _and,
    "or": _or,
    "not": lambda value: not truth(value),
    "eq": _eq,
    "ne": lambda a, b: not _eq(a, b),
    "lt": _compare(lambda a, b: a < b),
    "le": _compare(lambda a, b: a <= b),
    "gt": _compare(lambda a, b: a > b),
    "ge": _compare(lambda a, b: a >= b),
    "index": _index,
    "len": _len,
    "print": _print,
    "printf": _printf,
    "default": _default,
    "empty": empty,
    "coalesce": _coalesce,
    "ternary": _ternary,
    "lower": _strings(str.lower),
    "upper": _strings(str.upper),
    "title": _strings(lambda s: re.sub(r"\b([a-z])", lambda m: m.group(1).upper(), s)),
    "trim": _strings(lambda s: s.strip()),
    "trimPrefix": _strings(lambda prefix, s: s.removeprefix(prefix)),
    "trimSuffix": _strings(lambda suffix, s: s.removesuffix(suffix)),
    "replace": _strings(lambda old, new, s: s.replace(old, new)),
    "contains": _strings(lambda part, s: part in s),
    "hasPrefix": _strings(lambda prefix, s: s.startswith(prefix)),
    "hasSuffix": _strings(lambda suffix, s: s.endswith(suffix)),
    "quote": _quote,
    "squote": _squote,
    "toString": _strval,
    "join": _join,
    "splitList": _strings(lambda separator, s: s.split(separator)),
    "trunc": _trunc,
    "list": lambda *values: list(values),
    "dict": _dict,
    "toJson": _to_json,
    "toYaml": _to_yaml,
    "indent": _indent,
    "nindent": lambda count, value: "\n" + _indent(count, value),
    # Sprig's dict and list functions, as Helm "apps" charts use them
    "hasKey": _has_key,
    "omit": _omit,
    "pick": _pick,
    "keys": _keys,
    "get": _get,
    "dig": _dig,
    "has": _has,
    "first": _first,
    "last": _last,
    "uniq": _uniq,
    "compact": lambda values: [v for v in _list(values, "compact") if not empty(v)],
    "sortAlpha": lambda values: sorted(_strval(v) for v in _list(values, "sortAlpha")),
}
ARGOCD: Mapping[str, Callable[..., Any]] = {**BASE, "normalize": _strings(normalize)}
HELM: Mapping[str, Callable[..., Any]] = {**BASE, "required": _required}
