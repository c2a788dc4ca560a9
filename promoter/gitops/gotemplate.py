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
  indent nindent`` (and Sprig's dict and list functions; all in :mod:`.gofunctions`); Argo CD adds
  ``normalize``, Helm ``required``.

Not supported: ``define``/``template``/``block``, Helm's ``include``/``tpl``/``lookup``, ``break``/``continue``,
methods, and every other function. A missing key prints ``<no value>`` as Go does (``missing="error"`` is
Argo CD's ``missingkey=error``); as in Go, a missing value given to a function that wants a string is an
error.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from promoter.gitops.gofunctions import ARGOCD, MISSING, NO_VALUE, TemplateError, go_type, text, truth

__all__ = ["NO_VALUE", "TemplateError", "render"]  # the values' constant and the error are the template's too

_SPACE = " \t\r\n"
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FIELDS = re.compile(r"(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
_NUMBER = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)")
_UNSUPPORTED_ACTIONS = frozenset({"define", "template", "block", "break", "continue"})
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
                raise TemplateError(f"{self.where}: can't evaluate field {name} in type {go_type(value)}")
        return value


def _describe(arg: Any) -> str:
    if isinstance(arg, _Field):
        return "." + ".".join(arg.names)
    if isinstance(arg, _Var):
        return ".".join((arg.name, *arg.names))
    if isinstance(arg, _Literal):
        return text(arg.value)
    return "(...)"
