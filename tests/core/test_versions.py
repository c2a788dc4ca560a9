"""What may be promoted: an OCI tag or a digest; anything else is refused before anything is pushed."""

from __future__ import annotations

import pytest

from promoter.core import versions

GOOD = [
    "1.2.3",
    "v1.2.3-rc.1",
    "latest",
    "_build",
    "a" * 128,
    "sha256:" + "ab" * 32,
    "sha512:" + "0f" * 64,
    "blake3:zz",
]
BAD = {
    "": "empty",
    " 1.2.3": "whitespace",
    "1.2.3\n": "whitespace",
    "1.2 3": "whitespace",
    "1.0;rm -rf /": "whitespace",
    "$(id)": "not an OCI tag",
    "1.0|cat": "not an OCI tag",
    "-1.0": "not an OCI tag",
    ".hidden": "not an OCI tag",
    "a" * 129: "at most 128",
    "sha256:abc": "64 lowercase hex",
    "sha256:" + "AB" * 32: "64 lowercase hex",
}


@pytest.mark.parametrize("version", GOOD)
def test_tags_and_digests_are_accepted(version: str) -> None:
    assert versions.problem(version) is None


@pytest.mark.parametrize(("version", "why"), BAD.items(), ids=[repr(v[:20]) for v in BAD])
def test_anything_else_is_refused_with_a_reason(version: str, why: str) -> None:
    problem = versions.problem(version)
    assert problem is not None and why in problem
