"""Quoting and typing rules as truth tables."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from promoter.yamledit import scalars
from promoter.yamledit.source import ScalarNode


def node(text: str) -> ScalarNode:
    root = YAML(typ="rt", pure=True).compose(f"k: {text}")
    value = root.value[0][1]
    assert isinstance(value, ScalarNode)
    return value


PLAIN = {
    "word": ("nginx", True),
    "version with dots": ("1.2.3", True),
    "image ref": ("ghcr.io/acme/app:1.4", True),
    "float-looking": ("1.10", False),
    "yes (YAML 1.1 bool)": ("yes", False),
    "on": ("on", False),
    "y": ("y", False),
    "1e3": ("1e3", False),
    "hex": ("0x10", False),
    "octal-looking": ("010", False),
    "sexagesimal": ("1:20", False),
    "date": ("2001-12-14", False),
    "null": ("null", False),
    "tilde": ("~", False),
    "empty": ("", False),
    "leading space": (" a", False),
    "colon space": ("a: b", False),
    "space hash": ("a #b", False),
    "leading hash": ("#a", False),
    "leading dash space": ("- a", False),
    "leading dash": ("-a", True),
    "question": ("?q", False),
    "star": ("*a", False),
    "newline": ("a\nb", False),
    "document marker": ("---", False),
}


@pytest.mark.parametrize(("text", "safe"), PLAIN.values(), ids=PLAIN.keys())
def test_plain_safe(text: str, safe: bool) -> None:
    assert scalars.plain_safe(text, flow=False) is safe


@pytest.mark.parametrize("text", ["a,b", "a[b]", "a{b}", "a:b"])
def test_flow_context_is_stricter(text: str) -> None:
    assert scalars.plain_safe(text, flow=False) is True
    assert scalars.plain_safe(text, flow=True) is False


TOKENS = {
    "plain string stays plain": ("v1", "v2", "v2"),
    "plain string that would read as float is quoted": ("v1", "1.10", '"1.10"'),
    "plain string that would read as bool is quoted": ("enabled", "yes", '"yes"'),
    "double-quoted stays double": ('"1.10"', "1.11", '"1.11"'),
    "single-quoted stays single": ("'a'", "it's", "'it''s'"),
    "single with control char falls back to double": ("'a'", "a\tb", '"a\\tb"'),
    "empty double-quoted": ('""', "1.28.0", '"1.28.0"'),
    "int": ("90", 80, "80"),
    "bool keeps its case": ("True", False, "False"),
    "bool upper": ("TRUE", False, "FALSE"),
    "null to string": ("~", "x", "x"),
    "float": ("0.5", 0.25, "0.25"),
    "backslash escaped": ('"a"', "a\\b", '"a\\\\b"'),
}


@pytest.mark.parametrize(("old", "value", "expected"), TOKENS.values(), ids=TOKENS.keys())
def test_token(old: str, value: scalars.Value, expected: str) -> None:
    assert scalars.token(value, node(old), flow=False) == expected


INTERPRET = {
    "int": ("3", "2", 2),
    "float accepts int": ("1.5", "2", 2),
    "float": ("1.5", "2.5", 2.5),
    "bool": ("true", "False", False),
    "string": ("v1", "42", "42"),
    "explicit double-quoted string": ("3", '"three"', "three"),
    "explicit single-quoted string": ("3", "'it''s'", "it's"),
    "null reads YAML 1.2 types": ("~", "3", 3),
    "null keeps ambiguous words strings": ("~", "yes", "yes"),
}


@pytest.mark.parametrize(("old", "text", "expected"), INTERPRET.values(), ids=INTERPRET.keys())
def test_interpret(old: str, text: str, expected: scalars.Value) -> None:
    assert scalars.same(scalars.interpret(text, node(old)), expected)


@pytest.mark.parametrize(("old", "text"), [("3", "three"), ("1.5", "x"), ("true", "yes"), ("!!binary aGk=", "x")])
def test_interpret_refuses_a_type_change(old: str, text: str) -> None:
    with pytest.raises(scalars.TypeMismatch):
        scalars.interpret(text, node(old))


def test_typed_reads_yaml_numbers() -> None:
    assert scalars.typed(node("0x10")) == 16
    assert scalars.typed(node("1_000")) == 1000
    assert scalars.typed(node(".inf")) == float("inf")
    assert scalars.typed(node("0o17")) == 15


def test_same_distinguishes_types() -> None:
    assert not scalars.same(1, True)
    assert not scalars.same(1, 1.0)
    assert scalars.same(float("nan"), float("nan"))
