"""Argo CD's two glob dialects: gobwas/glob without separators (directory include/exclude) and Go's
filepath.Match (manifest-generate-paths entries)."""

from __future__ import annotations

import pytest

from promoter.gitops import globs


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("*.yaml", "a.yaml", True),
        ("*.yaml", "jobs/a.yaml", True),  # no separators: * crosses /
        ("**", "a/b/c.yaml", True),
        ("a.yaml", "jobs/a.yaml", False),  # the whole text, not its name
        ("?.yaml", "a.yaml", True),
        ("?.yaml", "ab.yaml", False),
        ("{a,b}.yaml", "b.yaml", True),
        ("{a,b}.yaml", "c.yaml", False),
        ("{*.yml,*.yaml}", "x.yml", True),
        ("{config.json,env-usw2/*}", "env-usw2/deep/x.yaml", True),
        ("{config.json,env-usw2/*}", "config.yaml", False),
        ("{a,{b,c}}.yaml", "c.yaml", True),
        ("[abc].yaml", "b.yaml", True),
        ("[a-c].yaml", "d.yaml", False),
        ("[!abc].yaml", "b.yaml", False),
        ("[!abc].yaml", "d.yaml", True),
        ("\\*.yaml", "*.yaml", True),
        ("\\*.yaml", "a.yaml", False),
        ("a.(yaml)+", "a.(yaml)+", True),  # regex characters are literal
        ("{a.yaml", "{a.yaml", False),  # malformed: matches nothing
        ("[a.yaml", "[a.yaml", False),
        ("a\\", "a\\", False),
    ],
)
def test_directory_globs_match_as_gobwas_does(pattern: str, text: str, matches: bool) -> None:
    assert globs.match(pattern, text) is matches


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("config/*.yaml", "config/a.yaml", True),
        ("config/*.yaml", "config/sub/a.yaml", False),  # * stops at /
        ("a?c", "abc", True),
        ("a?c", "a/c", False),
        ("[^a]x", "bx", True),
        ("[^a]x", "ax", False),
        ("a\\*", "a*", True),
        ("{a,b}", "a", False),  # no alternatives in Go's dialect
        ("[a", "[a", False),
    ],
)
def test_annotation_globs_match_as_go_filepath_match_does(pattern: str, text: str, matches: bool) -> None:
    assert globs.path_match(pattern, text) is matches
