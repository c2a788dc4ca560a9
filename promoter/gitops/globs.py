"""The two glob dialects Argo CD matches repository paths with, as Python regular expressions.

- :func:`match` is ``github.com/gobwas/glob`` compiled without separators (Argo CD's ``util/glob``), used
  for ``directory.include`` / ``directory.exclude``: ``*`` and ``**`` match any text, ``/`` included;
  ``?`` one character; ``[abc]``, ``[a-z]``, ``[!a-z]``; ``{a,b}`` alternatives (nested, with wildcards
  inside); ``\\`` escapes.
- :func:`path_match` is Go's ``filepath.Match``, used for the entries of the ``manifest-generate-paths``
  annotation: ``*`` and ``?`` stop at ``/``; ``[^a-z]`` negates.

Both match the whole text; a malformed pattern matches nothing (Argo CD logs it and moves on).
"""

from __future__ import annotations

import functools
import re


def match(pattern: str, text: str) -> bool:
    compiled = _gobwas(pattern)
    return compiled is not None and compiled.fullmatch(text) is not None


def path_match(pattern: str, text: str) -> bool:
    compiled = _go_path(pattern)
    return compiled is not None and compiled.fullmatch(text) is not None


class _BadPattern(Exception):
    pass


@functools.lru_cache(maxsize=256)
def _gobwas(pattern: str) -> re.Pattern[str] | None:
    try:
        regex, rest = _alternatives(pattern, 0, top=True)
    except _BadPattern:
        return None
    assert rest == len(pattern)
    return re.compile(regex, re.DOTALL)


def _alternatives(pattern: str, at: int, top: bool) -> tuple[str, int]:
    """The regex for ``pattern[at:]`` up to the ``}`` closing a ``{`` (or the end, at the top level)."""
    out, options = "", []
    while at < len(pattern):
        char = pattern[at]
        if char == "\\":
            if at + 1 >= len(pattern):
                raise _BadPattern
            out, at = out + re.escape(pattern[at + 1]), at + 2
        elif char == "*":
            while at < len(pattern) and pattern[at] == "*":
                at += 1
            out += ".*"
        elif char == "?":
            out, at = out + ".", at + 1
        elif char == "[":
            bracket, at = _bracket(pattern, at, "!")
            out += bracket
        elif char == "{":
            inner, at = _alternatives(pattern, at + 1, top=False)
            out += inner
        elif char == "," and not top:
            options.append(out)
            out, at = "", at + 1
        elif char == "}" and not top:
            return "(?:" + "|".join([*options, out]) + ")", at + 1
        else:
            out, at = out + re.escape(char), at + 1
    if not top:
        raise _BadPattern  # an unclosed {
    return out, at


def _bracket(pattern: str, at: int, negation: str) -> tuple[str, int]:
    """``[...]`` at ``pattern[at]`` as a regex class; ``negation`` is the character that negates it."""
    end = pattern.find("]", at + 1)
    if end < 0:
        raise _BadPattern
    body = pattern[at + 1 : end]
    negated = body.startswith(negation)
    if negated:
        body = body[1:]
    if not body:
        raise _BadPattern
    escaped = "".join("\\" + c if c in "\\^[]" else c for c in body)
    return ("[^" if negated else "[") + escaped + "]", end + 1


@functools.lru_cache(maxsize=256)
def _go_path(pattern: str) -> re.Pattern[str] | None:
    out, at = "", 0
    try:
        while at < len(pattern):
            char = pattern[at]
            if char == "\\":
                if at + 1 >= len(pattern):
                    raise _BadPattern
                out, at = out + re.escape(pattern[at + 1]), at + 2
            elif char == "*":
                out, at = out + "[^/]*", at + 1
            elif char == "?":
                out, at = out + "[^/]", at + 1
            elif char == "[":
                bracket, at = _bracket(pattern, at, "^")
                out += bracket
            else:
                out, at = out + re.escape(char), at + 1
    except _BadPattern:
        return None
    return re.compile(out, re.DOTALL)
