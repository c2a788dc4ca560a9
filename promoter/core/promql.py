"""How far back a PromQL query reads: its longest range, subquery and offset, without a full PromQL parser.

A range selector reads its range (``rate(x[5m])``: 5m); a subquery reads its range plus what its inner query
reads at the oldest step (``max_over_time(rate(x[1m])[30m:1m])``: 31m); a positive ``offset`` moves either
further back (``rate(x[5m] offset 10m)``: 15m; ``offset -5m`` is ignored, never subtracted, so the answer errs
long). ``@`` modifiers are ignored. Brackets inside strings, ``{...}`` matchers and ``#`` comments do not count.

It reads the query's structure only as far as that needs: strings, matchers, parentheses, brackets and the
modifiers. A bracket whose duration does not read (an unrendered ``[{{args.window}}]``) is a
:class:`PromQLError`, as are unbalanced brackets and unterminated strings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

# Prometheus' duration: units largest first, each at most once (model.ParseDuration); 18 digits keep int() cheap.
_DURATION = re.compile(
    r"(?:(\d{1,18})y)?(?:(\d{1,18})w)?(?:(\d{1,18})d)?(?:(\d{1,18})h)?(?:(\d{1,18})m)?(?:(\d{1,18})s)?(?:(\d{1,18})ms)?"
)
_SECONDS = re.compile(r"(\d{1,18})(?:\.(\d*))?")  # newer Prometheus also takes a plain number of seconds
_UNIT_MS = (365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1)
_MAX_MS = (2**63 - 1) // 1_000_000  # Prometheus holds durations as int64 nanoseconds
_WORD = re.compile(r"[A-Za-z0-9_:.]+")
_LONGEST = dt.timedelta.max // dt.timedelta(milliseconds=1)


class PromQLError(ValueError):
    """The query is not one whose look-back this module can tell (the message names the part)."""


@dataclasses.dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "word", "bracket", "selector", "string", or the character itself: "(", ")", "@", "-", ...
    text: str
    offset: int


def _duration(text: str) -> int | None:
    """Milliseconds, or None when this is not a duration."""
    match = _DURATION.fullmatch(text)
    if match and text:
        total = sum(int(amount) * unit for amount, unit in zip(match.groups(), _UNIT_MS, strict=True) if amount)
    else:
        seconds = _SECONDS.fullmatch(text)
        if seconds is None:
            return None
        total = int(seconds[1]) * 1000 + int(((seconds[2] or "") + "000")[:3])
    if total > _MAX_MS:
        raise PromQLError(f"duration {text!r} is out of range")
    return total


def _skip_string(query: str, start: int) -> int:
    """The offset after the string that starts here ("..." and '...' with escapes, `...` raw)."""
    quote, i = query[start], start + 1
    while i < len(query):
        if query[i] == quote:
            return i + 1
        i += 2 if query[i] == "\\" and quote != "`" else 1
    raise PromQLError(f"unterminated string at offset {start}: {query[start : start + 40]!r}")


def _skip_comment(query: str, start: int) -> int:
    newline = query.find("\n", start)
    return len(query) if newline < 0 else newline + 1


def _skip_braces(query: str, start: int) -> int:
    """The offset after the ``{...}`` here: label matchers, or an unrendered ``{{placeholder}}`` (nested)."""
    depth, i = 0, start
    while i < len(query):
        char = query[i]
        if char in "\"'`":
            i = _skip_string(query, i)
            continue
        if char == "#":
            i = _skip_comment(query, i)
            continue
        depth += 1 if char == "{" else -1 if char == "}" else 0
        i += 1
        if depth == 0:
            return i
    raise PromQLError(f"unclosed '{{' at offset {start}: {query[start : start + 40]!r}")


def _tokens(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(query):
        char = query[i]
        if char.isspace():
            i += 1
        elif char == "#":
            i = _skip_comment(query, i)
        elif char in "\"'`":
            end = _skip_string(query, i)
            tokens.append(_Token("string", query[i:end], i))
            i = end
        elif char == "{":
            end = _skip_braces(query, i)
            tokens.append(_Token("selector", query[i:end], i))
            i = end
        elif char == "[":
            end = query.find("]", i)
            if end < 0:
                raise PromQLError(f"unclosed '[' at offset {i}: {query[i : i + 40]!r}")
            tokens.append(_Token("bracket", query[i : end + 1], i))
            i = end + 1
        elif char in "]}":
            raise PromQLError(f"unbalanced {char!r} at offset {i}")
        elif word := _WORD.match(query, i):
            tokens.append(_Token("word", word[0], i))
            i = word.end()
        else:
            tokens.append(_Token(char, char, i))
            i += 1
    return tokens


def _bracket(token: _Token) -> int:
    """A bracket's range in milliseconds: a range selector's ``[5m]`` or a subquery's ``[30m:1m]`` / ``[30m:]``."""
    window, _colon, step = token.text[1:-1].partition(":")
    window_ms = _duration(window.strip())
    if window_ms is None or (step.strip() and _duration(step.strip()) is None):
        raise PromQLError(f"cannot read the duration in {token.text!r} (at offset {token.offset})")
    return window_ms


def _walk(query: str) -> tuple[int, tuple[int, ...]]:
    """The look-back and every range, in milliseconds.

    Each parenthesis level keeps the look-backs of its operands; a bracket or an offset lengthens the operand
    just before it (a selector, or a parenthesized call for a subquery). An operand's look-back is the most any
    part of it reads, so operators and arguments combine by max.
    """
    tokens = _tokens(query)
    levels: list[list[int]] = [[0]]
    ranges: list[int] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        operands = levels[-1]
        if token.kind == "(":
            levels.append([0])
        elif token.kind == ")":
            if len(levels) == 1:
                raise PromQLError(f"unbalanced ')' at offset {token.offset}")
            operands = levels.pop()
            levels[-1].append(max(operands))
        elif token.kind == "bracket":
            window = _bracket(token)
            ranges.append(window)
            operands[-1] += window  # a selector's own look-back is 0; a subquery's inner one adds
        elif token.kind == "word" and token.text == "offset" and (amount := _offset(tokens, i)) is not None:
            shift, i = amount
            operands[-1] += max(shift, 0)
        elif token.kind == "@":
            i = _skip_at(tokens, i)
        elif token.kind in ("word", "string", "selector"):
            operands.append(0)
        i += 1
    if len(levels) > 1:
        raise PromQLError("unbalanced '(': a ')' is missing")
    return max(levels[0]), tuple(ranges)


def _offset(tokens: list[_Token], at: int) -> tuple[int, int] | None:
    """``offset [-]5m`` from tokens[at]: the shift and the index of its last token; None when ``offset`` is a
    metric's name instead."""
    i, sign = at + 1, 1
    if i < len(tokens) and tokens[i].kind in ("+", "-"):
        sign, i = (-1 if tokens[i].kind == "-" else 1), i + 1
    if i >= len(tokens):
        return None
    token = tokens[i]
    if token.kind == "selector" and token.text.startswith("{{"):
        raise PromQLError(f"cannot read the duration in 'offset {token.text}' (at offset {token.offset})")
    if token.kind != "word" or not token.text[0].isdigit():
        return None
    shift = _duration(token.text)
    if shift is None:
        raise PromQLError(f"cannot read the duration in 'offset {token.text}' (at offset {token.offset})")
    return sign * shift, i


def _skip_at(tokens: list[_Token], at: int) -> int:
    """``@ 1609746000``, ``@ start()`` or ``@ end()``: the index of its last token (it does not move reads back
    from the evaluation time this module assumes)."""
    i = at + 1
    if i < len(tokens) and tokens[i].kind in ("+", "-"):
        i += 1
    if i >= len(tokens) or tokens[i].kind != "word":
        return at  # a lone '@': nothing of it to skip
    call = [token.kind for token in tokens[i + 1 : i + 3]]
    return i + 2 if tokens[i].text in ("start", "end") and call == ["(", ")"] else i


def lookback(query: str) -> dt.timedelta:
    """The longest time the query reads back from its evaluation time; 0 for a query without ranges."""
    total, _ranges = _walk(query)
    if total > _LONGEST:
        raise PromQLError("the look-back is longer than a timedelta holds")
    return dt.timedelta(milliseconds=total)


def ranges(query: str) -> tuple[dt.timedelta, ...]:
    """Every range in the query (range selectors' and subqueries'), in the order written."""
    return tuple(dt.timedelta(milliseconds=window) for window in _walk(query)[1])
