"""The sandbox's in-memory tables and the one lock that keeps them consistent.

uvicorn runs the (synchronous) handlers on a thread pool, so every read-modify-write happens under
:attr:`State.lock`. Events are published after the lock is released: a subscriber (a future webhook
sender) may call back into the sandbox, and must not find the lock held.
"""

from __future__ import annotations

import datetime
import itertools
import threading
from collections.abc import Callable, Iterator

from promoter.sandbox.github import errors, records

Clock = Callable[[], datetime.datetime]
Subscriber = Callable[[records.Event], None]


def system_clock() -> datetime.datetime:
    """Whole seconds, as GitHub's timestamps have."""
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


class State:
    """Issues (and pull requests), comments, reactions, reviews, labels, statuses and check runs."""

    def __init__(self, clock: Clock = system_clock) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self._ids = itertools.count(1000)
        self._numbers = itertools.count(1)
        self.issues: dict[int, records.Issue] = {}
        self.comments: dict[int, records.Comment] = {}
        self.reactions: dict[int, records.Reaction] = {}
        self.reviews: dict[int, records.Review] = {}
        self.labels: dict[str, records.Label] = {}
        self.statuses: list[records.Status] = []
        self.check_runs: dict[int, records.CheckRun] = {}
        self.suites: dict[str, int] = {}
        self._subscribers: list[Subscriber] = []

    def now(self) -> datetime.datetime:
        return self.clock()

    def new_id(self) -> int:
        """Ids are unique across kinds, which GitHub does not promise but nothing relies on either way."""
        with self.lock:
            return next(self._ids)

    def new_number(self) -> int:
        with self.lock:
            return next(self._numbers)

    def suite(self, sha: str) -> int:
        """The check suite of a commit: one per head sha, as a single app would have."""
        with self.lock:
            if sha not in self.suites:
                self.suites[sha] = self.new_id()
            return self.suites[sha]

    def issue(self, number: int) -> records.Issue:
        with self.lock:
            found = self.issues.get(number)
        if found is None:
            raise errors.not_found()
        return found

    def pull(self, number: int) -> tuple[records.Issue, records.Pull]:
        """The issue and its pull part; a plain issue is "Not Found" on the pulls endpoints, as on GitHub."""
        issue = self.issue(number)
        if issue.pull is None:
            raise errors.not_found()
        return issue, issue.pull

    def comment(self, comment_id: int) -> records.Comment:
        with self.lock:
            found = self.comments.get(comment_id)
        if found is None:
            raise errors.not_found()
        return found

    def label(self, name: str) -> records.Label:
        """The repository's label of that name (case-insensitive), created on first use as GitHub does."""
        with self.lock:
            key = name.lower()
            if key not in self.labels:
                self.labels[key] = records.Label(self.new_id(), name)
            return self.labels[key]

    def labels_of(self, issue: records.Issue) -> list[records.Label]:
        """The label records of an issue (which holds names, each created when it was first added)."""
        with self.lock:
            return [self.labels.get(name.lower()) or records.Label(0, name) for name in issue.labels]

    def comments_on(self, number: int) -> list[records.Comment]:
        with self.lock:
            return sorted((c for c in self.comments.values() if c.number == number), key=lambda c: c.id)

    def reviews_on(self, number: int) -> list[records.Review]:
        with self.lock:
            return sorted((r for r in self.reviews.values() if r.number == number), key=lambda r: r.id)

    def reactions_on(self, comment_id: int) -> list[records.Reaction]:
        with self.lock:
            return sorted((r for r in self.reactions.values() if r.comment_id == comment_id), key=lambda r: r.id)

    def statuses_for(self, sha: str) -> list[records.Status]:
        """Newest first, as ``GET .../commits/{ref}/statuses`` lists them."""
        with self.lock:
            return sorted((s for s in self.statuses if s.sha == sha), key=lambda s: s.id, reverse=True)

    def check_runs_for(self, sha: str) -> list[records.CheckRun]:
        with self.lock:
            return sorted((r for r in self.check_runs.values() if r.head_sha == sha), key=lambda r: -r.id)

    def latest_statuses(self, sha: str) -> list[records.Status]:
        """The newest status of each context, which is what the combined status and merge rules read."""
        latest: dict[str, records.Status] = {}
        for found in self.statuses_for(sha):
            latest.setdefault(found.context, found)
        return sorted(latest.values(), key=lambda s: s.context)

    def latest_check_runs(self, sha: str) -> list[records.CheckRun]:
        """The newest run of each check name (GitHub's ``filter=latest``, the default)."""
        latest: dict[str, records.CheckRun] = {}
        for found in self.check_runs_for(sha):
            latest.setdefault(found.name, found)
        return sorted(latest.values(), key=lambda r: -r.id)

    def pulls(self) -> Iterator[records.Issue]:
        with self.lock:
            found = [issue for issue in self.issues.values() if issue.pull is not None]
        return iter(found)

    def subscribe(self, subscriber: Subscriber) -> None:
        """Call ``subscriber`` with every event from now on (the seam for webhook delivery)."""
        with self.lock:
            self._subscribers.append(subscriber)

    def publish(self, *events: records.Event) -> None:
        """Deliver events; call this with the lock released."""
        with self.lock:
            subscribers = list(self._subscribers)
        for event in events:
            for subscriber in subscribers:
                subscriber(event)
