"""The path grammar (DESIGN.md §5) as a truth table."""

from __future__ import annotations

import pytest

from promoter.yamledit import paths
from promoter.yamledit.paths import Descend, Index, Key, Match

CASES = {
    "dotted": ("spec.replicas", (Key("spec"), Key("replicas"))),
    "index": (
        "spec.http[0].route[1].weight",
        (Key("spec"), Key("http"), Index(0), Key("route"), Index(1), Key("weight")),
    ),
    "negative index": ("items[-1]", (Key("items"), Index(-1))),
    "match": ("containers[name=app].image", (Key("containers"), Match("name", "app"), Key("image"))),
    "match value with dots and slashes": (
        "patches[path=/spec/template/spec.containers/0].value",
        (Key("patches"), Match("path", "/spec/template/spec.containers/0"), Key("value")),
    ),
    "match value with equals": ("env[name=A=B].value", (Key("env"), Match("name", "A=B"), Key("value"))),
    "quoted key": (
        'metadata.annotations["nginx.ingress.kubernetes.io/canary-weight"]',
        (Key("metadata"), Key("annotations"), Key("nginx.ingress.kubernetes.io/canary-weight")),
    ),
    "single-quoted key": ("a['b.c']", (Key("a"), Key("b.c"))),
    "escaped quote in key": (r'a["x\"y"]', (Key("a"), Key('x"y'))),
    "into a block scalar": (
        "patchesStrategicMerge[0]|spec.template.spec.containers[name=app].image",
        (
            Key("patchesStrategicMerge"),
            Index(0),
            Descend(),
            Key("spec"),
            Key("template"),
            Key("spec"),
            Key("containers"),
            Match("name", "app"),
            Key("image"),
        ),
    ),
    "block scalar then list": (
        "patches[0].patch|[op=replace].value",
        (Key("patches"), Index(0), Key("patch"), Descend(), Match("op", "replace"), Key("value")),
    ),
    "leading index": ("[0].name", (Index(0), Key("name"))),
}


@pytest.mark.parametrize(("text", "expected"), CASES.values(), ids=CASES.keys())
def test_parse(text: str, expected: tuple[paths.Segment, ...]) -> None:
    assert paths.parse(text) == expected


@pytest.mark.parametrize(("text", "expected"), CASES.values(), ids=CASES.keys())
def test_render_round_trips(text: str, expected: tuple[paths.Segment, ...]) -> None:
    assert paths.parse(paths.render(expected)) == expected


BAD = {
    "empty": "",
    "double dot": "a..b",
    "leading dot": ".a",
    "trailing dot": "a.",
    "unclosed bracket": "a[0",
    "not an index": "a[x]",
    "empty match key": "a[=x]",
    "trailing pipe": "a|",
    "unterminated quote": 'a["b',
    "key after bracket without dot": "a[0]b",
}


@pytest.mark.parametrize("text", BAD.values(), ids=BAD.keys())
def test_bad_paths_are_refused(text: str) -> None:
    with pytest.raises(paths.PathError):
        paths.parse(text)


SPLITS = {
    "simple": ("a.b=1", ("a.b", "1")),
    "value with equals": ("a=b=c", ("a", "b=c")),
    "equals inside a match": ("x[name=a].y=2", ("x[name=a].y", "2")),
    "equals inside a quoted key": ('x["a=b"]=3', ('x["a=b"]', "3")),
    "empty value": ("a=", ("a", "")),
}


@pytest.mark.parametrize(("text", "expected"), SPLITS.values(), ids=SPLITS.keys())
def test_split_assignment(text: str, expected: tuple[str, str]) -> None:
    assert paths.split_assignment(text) == expected


def test_assignment_without_equals_is_refused() -> None:
    with pytest.raises(paths.PathError):
        paths.split_assignment("a.b")
