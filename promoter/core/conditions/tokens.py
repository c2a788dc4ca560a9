"""Tokens of a condition: numbers and strings as expr-lang reads them (Go's escapes, ``_`` in numbers),
names, operators; comments skipped."""

from __future__ import annotations

import dataclasses
import math

from promoter.core.conditions.language import INT64_MAX, ConditionError, Value

NUMBER, STRING, NAME, OP, END = "number", "string", "name", "operator", "end"

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
class Token:
    kind: str
    text: str  # as written (for messages); the operator or name itself
    value: Value  # a number's or string's value
    offset: int


def _name_start(char: str) -> bool:
    return char.isalpha() or char in "_$"


def _name_char(char: str) -> bool:
    return char.isalpha() or char.isdecimal() or char in "_$"


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
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
            tokens.append(Token(STRING, text[i : close + 1], text[i + 1 : close], i))
            i = close + 1
        elif _name_start(char):
            start = i
            while i < end and _name_char(text[i]):
                i += 1
            tokens.append(Token(NAME, text[start:i], None, start))
        elif char == "#" and i + 1 < end and _name_char(text[i + 1]):
            start, i = i, i + 1
            while i < end and _name_char(text[i]):
                i += 1
            raise ConditionError(f"'{text[start:i]}' is not supported, only '#' (the current element)", start, text)
        else:
            op = next((op for op in _OPERATORS if text.startswith(op, i)), None)
            if op is None:
                raise ConditionError(f"unexpected character {char!r}", i, text)
            tokens.append(Token(OP, op, None, i))
            i += len(op)
    tokens.append(Token(END, "", None, end))
    return tokens


def _number(text: str, start: int) -> Token:
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
    if (isinstance(number, float) and math.isinf(number)) or (isinstance(number, int) and number > INT64_MAX):
        raise ConditionError(f"number {written!r} is too large", start, text)
    return Token(NUMBER, written, number, start)


def _quoted(text: str, start: int) -> tuple[Token, int]:
    """A '...' or "..." string with Go's escapes; newlines in it read as ``\\n`` (as expr-lang does)."""
    quote, i, end = text[start], start + 1, len(text)
    out: list[str] = []
    while True:
        if i >= end:
            raise ConditionError("unterminated string", start, text)
        char = text[i]
        if char == quote:
            return Token(STRING, text[start : i + 1], "".join(out), start), i + 1
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
