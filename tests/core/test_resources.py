"""Finding a resource in file texts: by file, by kind and name, once (or why not)."""

from __future__ import annotations

import pytest

from promoter.core import resources
from promoter.core.resources import Found
from promoter.core.strategies import ResourceRef
from tests.core.builders import SERVICE_TEXT, deployment

TWO = deployment("web", 3) + "---\n" + deployment("web-canary", 1)
TEXTS = {"a.yaml": TWO, "b.yaml": deployment("api", 2), "broken.yaml": "key: [unclosed\n", "gone.yaml": None}

CASES: dict[str, tuple[ResourceRef, object]] = {
    "a whole file": (ResourceRef(file="b.yaml"), Found("b.yaml", TEXTS["b.yaml"])),  # type: ignore[arg-type]
    "a whole file that is not there": (ResourceRef(file="gone.yaml"), "gone.yaml: not found on main"),
    "by kind and name": (ResourceRef("Deployment", "web-canary"), Found("a.yaml", TWO, 1)),
    "by kind and name in a named file": (
        ResourceRef("Deployment", "api", "b.yaml"),
        Found("b.yaml", TEXTS["b.yaml"], 0),
    ),  # type: ignore[arg-type]
    "in a named file that is not there": (
        ResourceRef("Deployment", "api", "gone.yaml"),
        "gone.yaml: not found on main",
    ),
    "in a document of a file": (ResourceRef("Deployment", None, "a.yaml", 1), Found("a.yaml", TWO, 1)),
    "nowhere": (ResourceRef("Deployment", "nope"), "no Deployment/nope on main"),
    "of another kind": (ResourceRef("Service", "web"), "no Service/web on main"),
    "in two places": (ResourceRef("Deployment"), "Deployment is in 3 places on main"),
}


@pytest.mark.parametrize(("ref", "expected"), CASES.values(), ids=CASES.keys())
def test_locate(ref: ResourceRef, expected: object) -> None:
    got = resources.locate(ref, TEXTS, "main")
    if isinstance(expected, str):
        assert isinstance(got, str) and got.startswith(expected)
    else:
        assert got == expected


def test_values_read_from_a_resource() -> None:
    assert resources.replicas(Found("a.yaml", TWO, 1)) == 1
    assert resources.replicas(Found("a.yaml", TWO)) == 3  # a whole file: its first document
    assert resources.replicas(Found("s.yaml", SERVICE_TEXT, 0)) is None
    assert resources.replicas(Found("x.yaml", "just text\n")) is None
    assert resources.selector(Found("s.yaml", SERVICE_TEXT, 0), "color") == "blue"
    assert resources.selector(Found("s.yaml", SERVICE_TEXT, 0), "tier") is None
    assert resources.selector(Found("a.yaml", TWO, 0), "color") is None
    assert Found("a.yaml", TWO, 7).value() is None
