"""The comment that says a refused credential stops a promotion, and the one that says it goes on."""

from __future__ import annotations

import datetime as dt

from promoter.core import texts

SINCE = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


def test_the_blocked_comment_says_what_was_refused_since_when_and_carries_its_marker() -> None:
    body = texts.blocked_comment("web", "1.2.0-abc", "GitHub 403 while merging #4", SINCE)
    assert "GitHub 403 while merging #4" in body
    assert "Since 2026-12-01 09:30:00 UTC, nothing of web moves" in body
    assert body.endswith(texts.blocked_marker("web", "1.2.0-abc"))


def test_the_same_comment_then_says_it_goes_on() -> None:
    later = SINCE + dt.timedelta(minutes=5)
    body = texts.unblocked_comment("web", "1.2.0-abc", "GitHub 403 while merging #4", SINCE, later)
    assert body.startswith("**promoter** · going on again")
    assert "from 2026-12-01 09:30:00 UTC to 2026-12-01 09:35:00 UTC" in body
    assert texts.blocked_marker("web", "1.2.0-abc") == "<!-- promoter:blocked web 1.2.0-abc -->"
    assert body.endswith(texts.blocked_marker("web", "1.2.0-abc"))
