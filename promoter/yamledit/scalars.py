"""Typed scalar values and the tokens that spell them.

A new value keeps the old value's YAML type and quoting style. A string written plain must read back as
the same string under YAML 1.1 (Go's yaml.v2, PyYAML, Helm) and YAML 1.2 (ruamel, yaml.v3): otherwise it
is quoted, so ``"1.10"`` never becomes the float 1.1 and ``yes``, ``on``, ``1e3``, ``0x10`` stay strings.
"""

from __future__ import annotations

import enum
import functools
import math
import re

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver

Value = str | int | float | bool | None

_TAG = "tag:yaml.org,2002:"


class Kind(enum.Enum):
    STR = "str"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    NULL = "null"
    OTHER = "other"


class TypeMismatch(ValueError):
    """A command-line value that cannot take the old value's type."""


def kind_of(node: ScalarNode) -> Kind:
    tag = str(node.tag)
    if not tag.startswith(_TAG):
        return Kind.OTHER
    try:
        return Kind(tag.removeprefix(_TAG))
    except ValueError:
        return Kind.OTHER


def typed(node: ScalarNode) -> Value:
    """The value a YAML loader would construct for the scalar (for the types the editor writes)."""
    kind = kind_of(node)
    text: str = node.value
    match kind:
        case Kind.STR | Kind.OTHER:
            return text
        case Kind.NULL:
            return None
        case Kind.BOOL:
            return text.lower() in ("true", "yes", "on", "y")
        case Kind.INT:
            return _int(text)
        case Kind.FLOAT:
            return _float(text)


def _int(text: str) -> int:
    clean = text.replace("_", "")
    sign = -1 if clean.startswith("-") else 1
    digits = clean.lstrip("+-")
    if ":" in digits:  # YAML 1.1 base 60
        total = 0
        for part in digits.split(":"):
            total = total * 60 + int(part)
        return sign * total
    lowered = digits.lower()
    for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
        if lowered.startswith(prefix):
            return sign * int(digits[2:], base)
    # "0755" is decimal 755 in YAML 1.2 (ruamel's reading) and octal in YAML 1.1 (Kubernetes' reading);
    # the editor never rewrites such a token unless asked, and then writes it as typed.
    return sign * int(digits)


def _float(text: str) -> float:
    clean = text.replace("_", "").lower()
    if clean.endswith((".inf", "inf")):
        return -math.inf if clean.startswith("-") else math.inf
    if clean.endswith("nan"):
        return math.nan
    if ":" in clean:
        sign = -1.0 if clean.startswith("-") else 1.0
        total = 0.0
        for part in clean.lstrip("+-").split(":"):
            total = total * 60 + float(part)
        return sign * total
    return float(clean)


def same(a: Value, b: Value) -> bool:
    """Equality that tells ``1`` from ``True`` and ``1.0`` from ``1`` (YAML types differ)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


# reading command-line text ------------------------------------------------------------------

_QUOTED = re.compile(r"""^(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*')$""", re.DOTALL)
_INT_TEXT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT_TEXT = re.compile(
    r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$"
)


def explicit_string(text: str) -> str | None:
    """``"1.10"`` or ``'yes'`` given on the command line: an explicit string, quotes removed."""
    if len(text) < 2 or not _QUOTED.match(text):
        return None
    body = text[1:-1]
    if text[0] == "'":
        return body.replace("''", "'")
    return _unescape_double(body)


def _unescape_double(body: str) -> str:
    escapes = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", '"': '"', "\\": "\\", "/": "/", " ": " "}
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in escapes:
                out.append(escapes[nxt])
                i += 2
                continue
            width = {"x": 2, "u": 4, "U": 8}.get(nxt)
            if width:
                out.append(chr(int(body[i + 2 : i + 2 + width], 16)))
                i += 2 + width
                continue
        out.append(c)
        i += 1
    return "".join(out)


def interpret(text: str, old: ScalarNode) -> Value:
    """Read command-line text as a value of the old value's type; raise TypeMismatch if it cannot be."""
    explicit = explicit_string(text)
    if explicit is not None:
        return explicit
    kind = kind_of(old)
    match kind:
        case Kind.STR:
            return text
        case Kind.INT:
            if _INT_TEXT.match(text):
                return int(text)
            raise TypeMismatch(f"holds an int, and {text!r} is not an int")
        case Kind.FLOAT:
            if _INT_TEXT.match(text):
                return int(text)
            if _FLOAT_TEXT.match(text):
                return _float(text)
            raise TypeMismatch(f"holds a float, and {text!r} is not a number")
        case Kind.BOOL:
            if text.lower() in ("true", "false"):
                return text.lower() == "true"
            raise TypeMismatch(f"holds a bool, and {text!r} is not true or false")
        case Kind.NULL:
            return _read_plain(text)
        case Kind.OTHER:
            raise TypeMismatch(f"has the tag {old.tag}, which the editor does not write")


def _read_plain(text: str) -> Value:
    """A value typed the way YAML 1.2 reads it, but strings wherever YAML 1.1 would read otherwise."""
    tag12 = _resolve(text, (1, 2))
    tag11 = _resolve(text, (1, 1))
    if tag12 != tag11:
        return text
    if tag12 == _TAG + "int" and _INT_TEXT.match(text):
        return int(text)
    if tag12 == _TAG + "float" and _FLOAT_TEXT.match(text):
        return _float(text)
    if tag12 == _TAG + "bool" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if tag12 == _TAG + "null":
        return None
    return text


# writing tokens -----------------------------------------------------------------------------


@functools.cache
def _resolver(version: tuple[int, int]) -> VersionedResolver:
    return VersionedResolver(version=version)


def _resolve(text: str, version: tuple[int, int]) -> str:
    return str(_resolver(version).resolve(ScalarNode, text, (True, False)))


_INDICATORS = set(",[]{}#&*!|>'\"%@`")
_FLOW_UNSAFE = set(",[]{}")


def plain_safe(text: str, *, flow: bool) -> bool:
    """Whether ``text`` written plain reads back as exactly this string under YAML 1.1 and 1.2."""
    if not text or text != text.strip() or any(ord(c) < 32 or c == "\x7f" for c in text):
        return False
    first = text[0]
    if first in _INDICATORS or first in "?:":
        return False
    if first == "-" and (len(text) == 1 or text[1] == " " or flow):
        return False
    if ": " in text or " #" in text or text.endswith(":"):
        return False
    if flow and (any(c in _FLOW_UNSAFE for c in text) or ":" in text):
        return False
    if text.startswith(("---", "...")):
        return False
    if _resolve(text, (1, 1)) != _TAG + "str" or _resolve(text, (1, 2)) != _TAG + "str":
        return False
    return _reads_back(text, flow=flow)


@functools.lru_cache(maxsize=4096)
def _reads_back(text: str, *, flow: bool) -> bool:
    """The final word: parse the token where it will stand and compare."""
    probe = f"[{text}]" if flow else f"k: {text}"
    try:
        node = YAML(typ="rt", pure=True).compose(probe)
    except YAMLError:
        return False
    value = node.value[0] if flow else node.value[0][1]
    return isinstance(value, ScalarNode) and value.style is None and value.value == text and (len(node.value) == 1)


def double_quoted(text: str) -> str:
    out = ['"']
    for c in text:
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif ord(c) < 32 or c == "\x7f":
            out.append(f"\\x{ord(c):02x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def single_quoted(text: str) -> str | None:
    if any(ord(c) < 32 or c == "\x7f" for c in text):
        return None
    return "'" + text.replace("'", "''") + "'"


def token(value: Value, old: ScalarNode, *, flow: bool, typed_text: str | None = None, tagged: bool = False) -> str:
    """The token for ``value`` in the place of ``old``, in ``old``'s style.

    ``typed_text`` is the number as the person typed it (``0644``, ``1.50``): written as is, not normalised.
    ``tagged`` says an explicit tag (``!!str``) fixes the type, so a plain token need only parse.
    """
    style = old.style or ""
    if typed_text is not None and isinstance(value, int | float) and not isinstance(value, bool):
        return typed_text
    if isinstance(value, bool):
        word = "true" if value else "false"
        if kind_of(old) is Kind.BOOL and old.value.isupper():
            return word.upper()
        if kind_of(old) is Kind.BOOL and old.value[:1].isupper():
            return word.capitalize()
        return word
    if value is None:
        return old.value if kind_of(old) is Kind.NULL and old.value else "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if style == "'":
        return single_quoted(value) or double_quoted(value)
    if style == '"':
        return double_quoted(value)
    if plain_safe(value, flow=flow) or (tagged and _plain_syntax(value, flow=flow)):
        return value
    return double_quoted(value)


def _plain_syntax(text: str, *, flow: bool) -> bool:
    return bool(text) and text[0] not in _INDICATORS and text[0] not in "?:-" and _reads_back(text, flow=flow)
