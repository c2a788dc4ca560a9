"""The path syntax shared by config files and the command line (DESIGN.md §5).

    spec.template.spec.containers[name=app].image
    patchesStrategicMerge[0]|spec.template.spec.containers[name=app].image
    metadata.annotations["nginx.ingress.kubernetes.io/canary-weight"]

- dotted keys; ``[n]`` a list index (negative counts from the end);
- ``[key=value]`` the list item whose ``key`` equals ``value`` (the value runs to the closing bracket and
  may hold dots, slashes and ``=``);
- ``["a.b/c"]`` (or single quotes) a key that holds dots, slashes or brackets;
- ``|`` steps into a block scalar whose text is YAML (an inline kustomize patch, inline Helm values).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator


@dataclasses.dataclass(frozen=True)
class Key:
    name: str


@dataclasses.dataclass(frozen=True)
class Index:
    position: int


@dataclasses.dataclass(frozen=True)
class Match:
    key: str
    value: str


@dataclasses.dataclass(frozen=True)
class Descend:
    """``|``: the rest of the path lives in the YAML text of a block scalar."""


Segment = Key | Index | Match | Descend


class PathError(ValueError):
    """A path that does not follow the syntax; the message says where."""


_KEY_STOP = ".[|"


def parse(text: str) -> tuple[Segment, ...]:
    """Parse a path; raise :class:`PathError` naming the offending column."""
    if not text:
        raise PathError("empty path")
    return tuple(_segments(text))


def _segments(text: str) -> Iterator[Segment]:
    i = 0
    n = len(text)
    expect_key = True  # at the start, after '.' or after '|'
    while i < n:
        c = text[i]
        if c == "[":
            close, segment = _bracket(text, i)
            yield segment
            i = close + 1
            expect_key = False
        elif c == "|":
            yield Descend()
            i += 1
            expect_key = True
            if i == n:
                raise PathError(f"path {text!r} ends with '|': name what to edit inside the block scalar")
        elif c == ".":
            if expect_key:
                raise PathError(f"empty key at column {i + 1} of path {text!r}")
            i += 1
            expect_key = True
            if i == n or text[i] in ".|":
                raise PathError(f"empty key at column {i + 1} of path {text!r}")
        else:
            if not expect_key:
                raise PathError(f"expected '.', '[' or '|' at column {i + 1} of path {text!r}")
            j = i
            while j < n and text[j] not in _KEY_STOP:
                j += 1
            yield Key(text[i:j])
            i = j
            expect_key = False


def _bracket(text: str, start: int) -> tuple[int, Segment]:
    """Parse the bracket starting at ``start``; return the index of its ``]`` and the segment."""
    i = start + 1
    if i < len(text) and text[i] in "\"'":
        quote = text[i]
        i += 1
        chars: list[str] = []
        while i < len(text) and text[i] != quote:
            if text[i] == "\\" and i + 1 < len(text):
                i += 1
            chars.append(text[i])
            i += 1
        if i + 1 >= len(text) or text[i + 1] != "]":
            raise PathError(f"unterminated quoted key at column {start + 1} of path {text!r}")
        return i + 1, Key("".join(chars))
    close = text.find("]", i)
    if close < 0:
        raise PathError(f"unclosed '[' at column {start + 1} of path {text!r}")
    inner = text[i:close]
    if "=" in inner:
        key, value = inner.split("=", 1)
        if not key:
            raise PathError(f"missing key before '=' at column {start + 2} of path {text!r}")
        return close, Match(key, value)
    try:
        return close, Index(int(inner))
    except ValueError:
        raise PathError(
            f"[{inner}] at column {start + 1} of path {text!r} is neither an index, key=value, nor a quoted key"
        ) from None


def split_assignment(text: str) -> tuple[str, str]:
    """Split ``PATH=VALUE`` at the first ``=`` outside brackets and quotes."""
    depth = 0
    quote = ""
    for i, c in enumerate(text):
        if quote:
            if c == quote:
                quote = ""
        elif c in "\"'" and depth:
            quote = c
        elif c == "[":
            depth += 1
        elif c == "]":
            depth = max(0, depth - 1)
        elif c == "=" and depth == 0:
            return text[:i], text[i + 1 :]
    raise PathError(f"{text!r} is not PATH=VALUE")


def render(segments: tuple[Segment, ...]) -> str:
    """The canonical text of a path (the inverse of :func:`parse`)."""
    out: list[str] = []
    for segment in segments:
        match segment:
            case Key(name):
                if any(c in name for c in ".[]|\"'") or not name:
                    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
                    out.append(f'["{escaped}"]')
                else:
                    out.append(("." if out and out[-1] != "|" else "") + name)
            case Index(position):
                out.append(f"[{position}]")
            case Match(key, value):
                out.append(f"[{key}={value}]")
            case Descend():
                out.append("|")
    return "".join(out)
