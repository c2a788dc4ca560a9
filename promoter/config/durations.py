"""Durations as people write them in config: ``30s``, ``2m``, ``1h30m``, ``500ms``, or a number of seconds."""

from __future__ import annotations

import datetime as dt
import math
import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_ORDER = ("h", "m", "s", "ms")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


class DurationError(ValueError):
    """Not a duration; the message says what is expected."""


_EXPECTED = "expected a duration such as 30s, 2m, 1h30m, 500ms, or a number of seconds"


def parse(value: object) -> dt.timedelta:
    """The duration ``value`` stands for; never negative. Raise :class:`DurationError` otherwise."""
    if isinstance(value, bool):  # YAML's true/false are ints to Python: never a duration
        raise DurationError(f"{_EXPECTED}, found a boolean")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise DurationError(f"{_EXPECTED}, found {value}")
        if value < 0:
            raise DurationError(f"a duration cannot be negative (found {value})")
        return dt.timedelta(seconds=value)
    if not isinstance(value, str):
        raise DurationError(_EXPECTED)
    text = value.strip()
    if text.startswith("-"):
        raise DurationError(f"a duration cannot be negative (found {value!r})")
    if _NUMBER.fullmatch(text):
        return dt.timedelta(seconds=float(text))
    return dt.timedelta(seconds=_parse_units(text, value))


def _parse_units(text: str, original: str) -> float:
    seconds = 0.0
    position = 0
    last_rank = -1
    for match in _PART.finditer(text):
        if match.start() != position:
            break
        rank = _ORDER.index(match.group(2))
        if rank <= last_rank:
            raise DurationError(f"{original!r}: write the units once each, largest first (1h30m, not 30m1h)")
        last_rank = rank
        seconds += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if not text or position != len(text):
        raise DurationError(f"{_EXPECTED}, found {original!r}")
    return seconds


def render(value: dt.timedelta) -> str:
    """A short text that :func:`parse` reads back: ``1h30m``, ``5s``, ``500ms``, ``0s``."""
    total_ms = round(value.total_seconds() * 1000)
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    parts = [f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (seconds, "s"), (millis, "ms")) if n]
    return "".join(parts) or "0s"
