"""Which unfinished promotion a pipeline works on (``model.current``): named rows."""

from __future__ import annotations

import dataclasses

import pytest

from promoter.core.model import Phase, Promotion, current
from tests.core.builders import at, promotion


def made(name: str, phase: Phase, seconds: int) -> Promotion:
    return dataclasses.replace(promotion(phase), id=name, created_at=at(seconds))


ROWS = {
    "none: nothing to work on": ([], None),
    "one pending": ([made("a", Phase.PENDING, 0)], "a"),
    "the oldest pending first": ([made("b", Phase.PENDING, 9), made("a", Phase.PENDING, 3)], "a"),
    "one in progress before older pending ones": (
        [made("old", Phase.PENDING, 0), made("moving", Phase.PROGRESSING, 5)],
        "moving",
    ),
    "the oldest in progress of several": (
        [made("late", Phase.PROGRESSING, 8), made("early", Phase.PROGRESSING, 2)],
        "early",
    ),
    "a tie in time: by id": ([made("y", Phase.PENDING, 4), made("x", Phase.PENDING, 4)], "x"),
}


@pytest.mark.parametrize("row", list(ROWS))
def test_current(row: str) -> None:
    unfinished, expected = ROWS[row]
    chosen = current(iter(unfinished))  # any iterable: the store's rows
    assert (chosen.id if chosen else None) == expected
