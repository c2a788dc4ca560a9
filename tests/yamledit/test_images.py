"""Image references: parsing and repository identity."""

from __future__ import annotations

import pytest

from promoter.yamledit import images
from promoter.yamledit.images import ImageRef

PARSE = {
    "name only": ("nginx", ImageRef("nginx")),
    "tag": ("nginx:1.25", ImageRef("nginx", "1.25")),
    "registry with port": ("localhost:5000/app:v1", ImageRef("localhost:5000/app", "v1")),
    "registry port no tag": ("localhost:5000/app", ImageRef("localhost:5000/app")),
    "digest": ("ghcr.io/a/b@sha256:" + "a" * 64, ImageRef("ghcr.io/a/b", None, "sha256:" + "a" * 64)),
    "tag and digest": ("a/b:1@sha256:" + "b" * 64, ImageRef("a/b", "1", "sha256:" + "b" * 64)),
}


@pytest.mark.parametrize(("text", "expected"), PARSE.values(), ids=PARSE.keys())
def test_parse(text: str, expected: ImageRef) -> None:
    assert images.parse(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize(
    "text", ["", "a b", "{{ .Values.image }}", "a:", "a//b", "a@sha256:xyz", "a:b:c:", "UPPER:t@x"]
)
def test_not_image_references(text: str) -> None:
    assert images.parse(text) is None


SAME = [
    ("nginx", "docker.io/library/nginx"),
    ("nginx", "library/nginx"),
    ("index.docker.io/library/nginx", "nginx"),
    ("acme/app", "docker.io/acme/app"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_repository(a: str, b: str) -> None:
    ra, rb = images.parse(a), images.parse(b)
    assert ra is not None and rb is not None
    assert images.same_repository(ra, rb)


@pytest.mark.parametrize(("a", "b"), [("nginx", "ghcr.io/nginx"), ("acme/app", "acme/app2"), ("quay.io/a/b", "a/b")])
def test_different_repositories(a: str, b: str) -> None:
    ra, rb = images.parse(a), images.parse(b)
    assert ra is not None and rb is not None
    assert not images.same_repository(ra, rb)
