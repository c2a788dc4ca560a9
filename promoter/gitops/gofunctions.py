"""The values and functions of :mod:`.gotemplate`: how Go prints and tests a value (``<no value>``, ``map[a:1]``,
float64 digits, truth), Go's own template functions, Sprig's that ApplicationSets and Helm "apps" charts use,
and the function tables of Argo CD (``normalize``) and Helm (``required``).
"""

from __future__ import annotations

import decimal
import functools
import io
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import SafeRepresenter
from ruamel.yaml.resolver import VersionedResolver

from promoter.gitops import manifests

NO_VALUE = "<no value>"


class TemplateError(ValueError):
    """A template outside the subset, or one Go would refuse; the message names the template."""


class _Missing:
    """A key that is not there: prints ``<no value>``, is false, and is nil to the functions."""

    def __repr__(self) -> str:
        return NO_VALUE


MISSING: Any = _Missing()

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


def go_type(value: Any) -> str:
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
    raise TemplateError(f"wrong type for value; expected string; got {go_type(value)}")


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TemplateError(f"wrong type for value; expected int; got {go_type(value)}")
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
            raise TemplateError(f"can't index item of type {go_type(item)}")
    return item


def _len(value: Any) -> int:
    if isinstance(value, str | list | tuple | Mapping):
        return len(value)
    raise TemplateError(f"len of type {go_type(value)}")


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
            f"{function}: wrong type for value; expected map[string]interface {{}}; got {go_type(value)}"
        )
    return value


def _list(value: Any, function: str) -> list[Any]:
    if value is None or value is MISSING:
        return []
    if not isinstance(value, list | tuple):
        raise TemplateError(f"{function}: cannot find {function} on type {go_type(value)}")
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
