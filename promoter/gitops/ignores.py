"""Whether an Application's ``spec.ignoreDifferences`` hides a field promoter edits. Pure: text in, values out.

Argo CD removes ignored fields from both the desired and the live resource before comparing them, so a commit
that changes only ignored fields leaves the app Synced and nothing is applied: promoter's edit would silently
do nothing. (When something else does trigger a sync, the whole manifest is applied unless the app sets the
``RespectIgnoreDifferences=true`` sync option.)

An entry applies to a resource when its ``group`` and ``kind`` match as globs (``""`` is the core group; an
entry without a kind matches nothing) and its ``name`` and ``namespace``, when set, are equal. Each rule of
a matching entry is judged against the changed leaf paths:

- a ``jsonPointers`` pointer (RFC 6901) covers a path it equals or is a prefix of;
- a ``jqPathExpressions`` expression covers a path when, evaluated against the resource, it selects the path
  or an ancestor. Only the subset of jq seen in practice is evaluated (``.a.b``, ``.a["x.y"]``, ``.a[0]``,
  ``.a[]``, ``?``, pipes, ``select(P == L)``, ``select(P != L)`` and ``select(P | startswith("s"))``);
  anything else is :data:`Doubt.UNEVALUATED`. Like Argo CD, an expression that fails at run time (iterating
  over null, say) removes nothing;
- ``managedFieldsManagers`` depend on the live object's ``metadata.managedFields``, which Git does not hold:
  :data:`Doubt.LIVE_MANAGERS`.

System-wide ignores (``resource.customizations.ignoreDifferences.*`` in ``argocd-cm``) are not in the config
repo and are not judged here.
"""

from __future__ import annotations

import dataclasses
import enum
import fnmatch
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, assert_never

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from promoter.gitops import applications, manifests

Path = tuple[str | int, ...]  # keys and list indexes from the document's root


class RuleKind(enum.Enum):
    JSON_POINTER = "jsonPointers"
    JQ_PATH = "jqPathExpressions"
    MANAGERS = "managedFieldsManagers"


class Doubt(enum.Enum):
    """Why a rule of a matching entry could not be judged from Git."""

    UNEVALUATED = "cannot evaluate"
    LIVE_MANAGERS = "depends on live managed fields"


@dataclasses.dataclass(frozen=True)
class Ignore:
    """One rule of one ``spec.ignoreDifferences`` entry, where it is written."""

    application: str
    file: str
    line: int  # 1-based line of the pointer, expression or manager
    entry: int  # 0-based index of the entry in spec.ignoreDifferences
    kind: RuleKind
    expression: str

    @property
    def rule(self) -> str:
        """The rule as written, e.g. ``jsonPointers: /spec/replicas``."""
        return f"{self.kind.value}: {self.expression}"


@dataclasses.dataclass(frozen=True)
class Entry:
    """One entry of ``spec.ignoreDifferences``: which resources it applies to, and its rules."""

    group: str  # a glob; "" is the core group
    kind: str  # a glob; "" matches nothing
    name: str | None  # None: any name
    namespace: str | None  # None: any namespace
    rules: tuple[Ignore, ...]

    def matches(self, resource: manifests.ResourceKey) -> bool:
        return (
            _glob(self.group, resource.group)
            and _glob(self.kind, resource.kind)
            and self.name in (None, resource.name)
            and self.namespace in (None, resource.namespace)
        )


@dataclasses.dataclass(frozen=True)
class Covered:
    """``ignore`` hides the change at ``path``."""

    ignore: Ignore
    path: Path


@dataclasses.dataclass(frozen=True)
class Unsure:
    """``ignore`` applies to the resource but whether it hides the change cannot be told from Git."""

    ignore: Ignore
    doubt: Doubt
    reason: str


Verdict = Covered | Unsure


def application_ignores(text: str, file: str) -> dict[str, list[Entry]]:
    """The ``spec.ignoreDifferences`` entries of each Application in a YAML file, by ``metadata.name``.

    Every Application is listed, without entries when it ignores nothing; of two with one name the first is
    kept. Malformed entries and rules are skipped (the API server would refuse them). Raises
    :class:`~promoter.gitops.manifests.ManifestError` when the file is not YAML.
    """
    try:
        documents = list(YAML().load_all(text))  # round-trip loading keeps each node's line
    except YAMLError as exc:
        raise manifests.ManifestError(f"{file}: invalid YAML: {manifests.describe(exc)}") from None
    found: dict[str, list[Entry]] = {}
    for document in documents:
        if not isinstance(document, CommentedMap) or document.get("kind") != "Application":
            continue
        if not str(document.get("apiVersion") or "").startswith(applications.API_GROUP):
            continue
        name = _text(_child(document, "metadata", CommentedMap).get("name"))
        if name is not None and name not in found:
            listed = _child(_child(document, "spec", CommentedMap), "ignoreDifferences", CommentedSeq)
            found[name] = [
                _entry(item, name, file, index) for index, item in enumerate(listed) if isinstance(item, CommentedMap)
            ]
    return found


def changed_paths(before: Any, after: Any) -> list[Path]:
    """The leaf paths whose values differ between two plain documents: changed, added or removed values (each
    leaf of an added or removed subtree), list items by index. A value that changes type (``1`` to ``"1"``,
    a mapping to a scalar) reports the leaves of both."""
    found: dict[Path, None] = {}
    _compare((), before, after, found)
    return list(found)


def judge(
    entries: Sequence[Entry], resource: manifests.ResourceKey, document: Mapping[str, Any], paths: Sequence[Path]
) -> list[Verdict]:
    """What the entries that apply to ``resource`` make of the changes at ``paths``: the rules that cover a
    path (one :class:`Covered` per rule and path) and the rules that cannot be judged (one :class:`Unsure`
    each). jq expressions are evaluated against ``document``, the resource as promoter's edit leaves it.
    Rules that apply but cover none of the paths give nothing; so does an empty ``paths``."""
    verdicts: list[Verdict] = []
    if not paths:
        return verdicts
    for entry in entries:
        if not entry.matches(resource):
            continue
        for ignore in entry.rules:
            match ignore.kind:
                case RuleKind.MANAGERS:
                    reason = f"fields owned by {ignore.expression!r} in the live object's managedFields"
                    verdicts.append(Unsure(ignore, Doubt.LIVE_MANAGERS, reason))
                case RuleKind.JSON_POINTER:
                    verdicts += _judge_pointer(ignore, paths)
                case RuleKind.JQ_PATH:
                    verdicts += _judge_jq(ignore, document, paths)
                case _:
                    assert_never(ignore.kind)
    return verdicts


def pointer(path: Path) -> str:
    """``path`` as an RFC 6901 JSON pointer (``""`` for the root), for messages."""
    return "".join("/" + str(step).replace("~", "~0").replace("/", "~1") for step in path)


# --- reading entries ---------------------------------------------------------------------------------------


def _entry(item: CommentedMap, application: str, file: str, index: int) -> Entry:
    rules: list[Ignore] = []
    for kind in RuleKind:
        listed = _child(item, kind.value, CommentedSeq)
        for position, value in enumerate(listed):
            if isinstance(value, str):
                line = listed.lc.item(position)[0] + 1  # ruamel counts from 0
                rules.append(Ignore(application, file, line, index, kind, value))
    return Entry(
        group=_text(item.get("group")) or "",
        kind=_text(item.get("kind")) or "",
        name=_text(item.get("name")),
        namespace=_text(item.get("namespace")),
        rules=tuple(sorted(rules, key=lambda rule: rule.line)),
    )


def _child(node: CommentedMap, key: str, shape: type[Any]) -> Any:
    value = node.get(key)
    return value if isinstance(value, shape) else shape()


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _glob(pattern: str, text: str) -> bool:
    """Argo CD's ``glob.Match`` (gobwas/glob): ``*``, ``?``, ``[...]`` and ``{a,b}`` alternatives."""
    if (brace := re.search(r"\{([^{}]*)\}", pattern)) is None:
        return fnmatch.fnmatchcase(text, pattern)
    head, tail = pattern[: brace.start()], pattern[brace.end() :]
    return any(_glob(head + choice + tail, text) for choice in brace.group(1).split(","))


# --- comparing documents -----------------------------------------------------------------------------------

_MISSING = object()


def _compare(path: Path, before: Any, after: Any, found: dict[Path, None]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in [*before, *(key for key in after if key not in before)]:
            _compare((*path, key), before.get(key, _MISSING), after.get(key, _MISSING), found)
    elif isinstance(before, list) and isinstance(after, list):
        for index in range(max(len(before), len(after))):
            old = before[index] if index < len(before) else _MISSING
            new = after[index] if index < len(after) else _MISSING
            _compare((*path, index), old, new, found)
    elif type(before) is not type(after) or before != after:  # typed: YAML's 1, 1.0 and true differ
        found.update(dict.fromkeys(_leaves(path, before)))
        found.update(dict.fromkeys(_leaves(path, after)))


def _leaves(path: Path, value: Any) -> Iterator[Path]:
    if value is _MISSING:
        return
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves((*path, key), item)
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from _leaves((*path, index), item)
    else:
        yield path


# --- JSON pointers -----------------------------------------------------------------------------------------


def _judge_pointer(ignore: Ignore, paths: Sequence[Path]) -> list[Verdict]:
    if not ignore.expression.startswith("/"):
        return [Unsure(ignore, Doubt.UNEVALUATED, "a JSON pointer starts with '/'")]
    tokens = [token.replace("~1", "/").replace("~0", "~") for token in ignore.expression.split("/")[1:]]
    return [
        Covered(ignore, path)
        for path in paths
        if len(tokens) <= len(path) and all(token == str(step) for token, step in zip(tokens, path, strict=False))
    ]


# --- jq path expressions -----------------------------------------------------------------------------------
#
# An expression compiles to a filter: a function from one (path, value) to the (path, value)s it selects, as
# jq's ``path(f)`` would see them. Runtime errors raise _JqError; a ``?`` step yields nothing instead.

_Filter = Callable[[Path, Any], Iterator[tuple[Path, Any]]]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>==|!=|[.\[\]?|()])
    )\s*""",
    re.VERBOSE,
)
_LITERALS: Mapping[str, Any] = {"true": True, "false": False, "null": None}


class _Unsupported(Exception):
    """The expression is outside the evaluated subset of jq (or not jq at all)."""


class _JqError(Exception):
    """jq would fail at run time; Argo CD then skips the expression."""


def _judge_jq(ignore: Ignore, document: Mapping[str, Any], paths: Sequence[Path]) -> list[Verdict]:
    try:
        compiled = _Parser(ignore.expression).expression()
    except _Unsupported as exc:
        return [Unsure(ignore, Doubt.UNEVALUATED, str(exc))]
    try:
        selected = [found for found, _ in compiled((), document)]
    except _JqError:
        return []
    return [Covered(ignore, path) for path in paths if any(path[: len(found)] == found for found in selected)]


class _Parser:
    """Recursive descent over the subset: ``pipe := postfix ('|' postfix)*``; a postfix is ``.``, a
    ``select(...)``, or either followed by ``.key``, ``."key"``, ``[...]`` and ``?`` steps."""

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text):
            token = _TOKEN.match(text, position)
            if token is None:
                raise _Unsupported(f"unsupported jq at column {position + 1}: {text[position:]!r}")
            assert token.lastgroup is not None
            self.tokens.append((token.lastgroup, token.group(token.lastgroup)))
            position = token.end()
        self.at = 0

    def expression(self) -> _Filter:
        compiled = self._pipe()
        if self.at < len(self.tokens):
            raise _Unsupported(f"unsupported jq from {self._peek()!r}")
        return compiled

    def _peek(self) -> str:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else ""

    def _take(self, kind: str) -> str:
        if self.at >= len(self.tokens) or self.tokens[self.at][0] != kind:
            raise _Unsupported(f"unsupported jq: expected a {kind} at {self._peek() or 'the end'!r}")
        self.at += 1
        return self.tokens[self.at - 1][1]

    def _skip(self, op: str) -> bool:
        if self._peek() == op:  # a string token keeps its quotes, so it never equals an operator
            self.at += 1
            return True
        return False

    def _expect(self, op: str) -> None:
        if not self._skip(op):
            raise _Unsupported(f"unsupported jq: expected {op!r} at {self._peek() or 'the end'!r}")

    def _pipe(self) -> _Filter:
        compiled = self._postfix()
        while self._skip("|"):
            compiled = _then(compiled, self._postfix())
        return compiled

    def _postfix(self) -> _Filter:
        # ``?`` makes only the step before it optional (gojq: ``.a[].b[]?`` is ``.a[].b | try .[]``), so the
        # last step is kept apart from what leads to it.
        last: _Filter | None = None
        if self._skip("select"):
            self._expect("(")
            leading = self._condition()
            self._expect(")")
        else:
            self._expect(".")
            leading = _identity
            if self._peek() not in ("[", "|", ")", "?", "==", "!=", ""):
                last = _key(self._key())
        while True:
            if self._peek() in (".", "["):
                leading = leading if last is None else _then(leading, last)
                last = _key(self._key()) if self._skip(".") else self._bracket()
            elif self._skip("?"):
                if last is None:
                    leading = _try(leading)
                else:
                    last = _try(last)
            else:
                return leading if last is None else _then(leading, last)

    def _key(self) -> str:
        if self.at < len(self.tokens) and self.tokens[self.at][0] == "string":
            return self._string()
        return self._take("name")

    def _bracket(self) -> _Filter:
        self._expect("[")
        if self._skip("]"):
            return _each
        if self.at < len(self.tokens) and self.tokens[self.at][0] == "string":
            compiled = _key(self._string())
        else:
            number = self._take("number")
            if not re.fullmatch(r"-?\d+", number):
                raise _Unsupported(f"unsupported jq: index {number}")
            compiled = _index(int(number))
        self._expect("]")
        return compiled

    def _string(self) -> str:
        value = json.loads(self._take("string"))
        assert isinstance(value, str)
        return value

    def _condition(self) -> _Filter:
        subject = self._postfix()
        if self._skip("|"):
            self._expect("startswith")
            self._expect("(")
            prefix = self._string()
            self._expect(")")
            return _select(subject, lambda value: _startswith(value, prefix))
        if self._skip("=="):
            literal = self._literal()
            return _select(subject, lambda value: _equal(value, literal))
        self._expect("!=")
        literal = self._literal()
        return _select(subject, lambda value: not _equal(value, literal))

    def _literal(self) -> Any:
        kind = self.tokens[self.at][0] if self.at < len(self.tokens) else ""
        if kind == "string":
            return self._string()
        if kind == "number":
            return json.loads(self._take("number"))
        name = self._take("name")
        if name not in _LITERALS:
            raise _Unsupported(f"unsupported jq: {name} is not a literal")
        return _LITERALS[name]


def _identity(path: Path, value: Any) -> Iterator[tuple[Path, Any]]:
    yield path, value


def _then(first: _Filter, second: _Filter) -> _Filter:
    def piped(path: Path, value: Any) -> Iterator[tuple[Path, Any]]:
        for middle, item in first(path, value):
            yield from second(middle, item)

    return piped


def _key(name: str) -> _Filter:
    def key(path: Path, value: Any) -> Iterator[tuple[Path, Any]]:
        if value is not None and not isinstance(value, Mapping):
            raise _JqError(f"cannot index {type(value).__name__} with {name!r}")
        yield (*path, name), None if value is None else value.get(name)

    return key


def _index(number: int) -> _Filter:
    def index(path: Path, value: Any) -> Iterator[tuple[Path, Any]]:
        if value is None:
            yield (*path, number), None
            return
        if not isinstance(value, list):
            raise _JqError(f"cannot index {type(value).__name__} with a number")
        position = number + len(value) if number < 0 else number  # jq counts negative indexes from the end
        yield (*path, position), value[position] if 0 <= position < len(value) else None

    return index


def _each(path: Path, value: Any) -> Iterator[tuple[Path, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield (*path, key), item
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield (*path, position), item
    else:
        raise _JqError(f"cannot iterate over {type(value).__name__}")


def _try(body: _Filter) -> _Filter:
    def tried(path: Path, value: Any) -> Iterator[tuple[Path, Any]]:
        try:
            yield from body(path, value)
        except _JqError:
            return

    return tried


def _select(subject: _Filter, test: Callable[[Any], bool]) -> _Filter:
    def selected(path: Path, value: Any) -> Iterator[tuple[Path, Any]]:
        for _, item in subject(path, value):
            if test(item):
                yield path, value

    return selected


def _equal(value: Any, literal: Any) -> bool:
    """jq's ``==`` between a value and a scalar literal: numbers by value, booleans only with booleans."""
    if isinstance(value, bool) or isinstance(literal, bool):
        return value is literal
    if isinstance(value, int | float) and isinstance(literal, int | float):
        return value == literal
    return type(value) is type(literal) and bool(value == literal)


def _startswith(value: Any, prefix: str) -> bool:
    if not isinstance(value, str):
        raise _JqError("startswith() requires string inputs")
    return value.startswith(prefix)
