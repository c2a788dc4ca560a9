"""Fault injection for crash-consistency drills: die (SIGKILL) right after a chosen action.

``PROMOTER_FAULT_AFTER=MergePR`` (read once by the command line) makes the bot kill itself right after it
has merged a PR, before it records anything; ``MergePR:2`` after its second merge in that process. Points
are the action names (``Record``, ``OpenStepPR``, ``MergePR``, ``OpenRevertPR``, ``RefreshApps``,
``Comment``, ``SetStatus``) and the moments inside an action where a crash hurts most
(``OpenStepPR.pushed``, ``OpenRevertPR.pushed``: the branch is pushed, the PR not opened yet); each also
by stage (``MergePR@prod``) and during a revert (``MergePR@revert``). Restarted, the bot must finish the
promotion with nothing lost and nothing duplicated. Unset, this costs a comparison per action.
"""

from __future__ import annotations

import dataclasses
import os
import signal


@dataclasses.dataclass
class Faults:
    point: str | None = None
    nth: int = 1
    _seen: int = 0

    @classmethod
    def parse(cls, text: str | None) -> Faults:
        if not text:
            return cls()
        point, _, nth = text.partition(":")
        return cls(point, int(nth) if nth else 1)

    def reached(self, *points: str) -> None:
        if self.point is None or self.point not in points:
            return
        self._seen += 1
        if self._seen == self.nth:
            os.kill(os.getpid(), signal.SIGKILL)
