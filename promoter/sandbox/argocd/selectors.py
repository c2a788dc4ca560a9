"""Kubernetes label selectors, as the ``selector`` filter of ``GET /api/v1/applications`` takes them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

Labels = Mapping[str, str]
_SET = re.compile(r"^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$")
_EQUALITY = re.compile(r"^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$")
_EXISTS = re.compile(r"^(!?)\s*([\w./-]+)$")


def parse(selector: str) -> Callable[[Labels], bool]:
    """A predicate over labels; ``ValueError`` naming the requirement it cannot read."""
    tests = [_requirement(part.strip()) for part in _split(selector) if part.strip()]
    return lambda labels: all(test(labels) for test in tests)


def _split(selector: str) -> list[str]:
    """Split on the commas that separate requirements, not those inside ``in (a, b)``."""
    parts, depth, current = [], 0, ""
    for char in selector:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _requirement(text: str) -> Callable[[Labels], bool]:
    if found := _SET.match(text):
        key, operator, listed = found.groups()
        values = {value.strip() for value in listed.split(",") if value.strip()}
        if operator == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if found := _EQUALITY.match(text):
        key, operator, value = found.groups()
        if operator == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if found := _EXISTS.match(text):
        negated, key = found.groups()
        return (lambda labels: key not in labels) if negated else (lambda labels: key in labels)
    raise ValueError(f"cannot read the label selector requirement {text!r}")
