"""The hidden markers: promoter adopts a PR or edits a comment only when the marker is exactly its own."""

from __future__ import annotations

import pytest

from promoter.core import markers
from promoter.core.markers import Kind, Marker

OWN = Marker("app", "1.2.0-mi9x2k7q3f", "1.2.0", 1, 0, Kind.REVERT)


def test_a_marker_reads_back_from_a_pr_body() -> None:
    body = f"Reverts the merge.\n\n**Why:** it broke\n\n{OWN.render()}\n"
    assert markers.parse(body) == OWN
    assert markers.parse(OWN.render()) != Marker("app", "1.2.0-mi9x2k7q3f", "1.2.0", 1, 0)  # the kind counts


def test_text_that_would_end_the_html_comment_is_escaped() -> None:
    odd = Marker("app", "x", "1.0-->", 0, 0)
    rendered = odd.render()
    assert rendered.count("-->") == 1 and rendered.endswith(" -->")
    assert markers.parse(rendered) == odd


def test_the_status_marker_names_the_step_and_is_not_a_pr_marker() -> None:
    assert OWN.status() != OWN.render()
    assert markers.parse(OWN.status()) is None
    assert "1.2.0-mi9x2k7q3f" in OWN.status()


BAD = {
    "no marker": "a person's PR",
    "not JSON": "<!-- promoter:{nope} -->",
    "an empty object": "<!-- promoter:{} -->",
    "a missing field": '<!-- promoter:{"kind":"step","pipeline":"app","promotion":"p","stage":0} -->',
    "a negative stage": '<!-- promoter:{"kind":"step","pipeline":"app","promotion":"p","stage":-1,"step":0,"version":"1"} -->',
    "a boolean step": '<!-- promoter:{"kind":"step","pipeline":"app","promotion":"p","stage":0,"step":true,"version":"1"} -->',
    "an unknown kind": '<!-- promoter:{"kind":"x","pipeline":"app","promotion":"p","stage":0,"step":0,"version":"1"} -->',
    "a number as pipeline": '<!-- promoter:{"kind":"step","pipeline":1,"promotion":"p","stage":0,"step":0,"version":"1"} -->',
}


@pytest.mark.parametrize("body", BAD.values(), ids=BAD.keys())
def test_anything_else_is_not_promoters(body: str) -> None:
    assert markers.parse(body) is None
