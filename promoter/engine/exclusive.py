"""A pipeline to oneself, as a reconcile pass has it (the store's lock per pipeline): an operator's command that
rewrites the pipeline's records (``promoter retry``, ``promoter rollback``) does not race the bot's pass."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from promoter.engine.runtime import Runtime


class Busy(Exception):
    """The bot kept the pipeline longer than the command waits; the message says so."""


@contextlib.contextmanager
def exclusive(rt: Runtime, pipeline: str, wait: float = 10.0) -> Iterator[None]:
    give_up = time.monotonic() + wait
    while True:
        with rt.store.lock(pipeline) as held:
            if held:
                yield
                return
        if time.monotonic() >= give_up:
            raise Busy(f"{pipeline}: the bot is in a pass over it for more than {wait:.0f}s; try again")
        time.sleep(0.2)  # a pass takes a fraction of a second
