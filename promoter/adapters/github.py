"""GitHub through PyGithub: the one module that talks to the forge (DESIGN.md §9).

Pull requests are found by their head branch (find before create), comments by the hidden marker the bot
writes into them (edited in place, never duplicated). Errors are mapped once: rate limits (403 or 429 with
a rate-limit message), 5xx and network trouble are temporary; a 401, or any other 403, is a credential
error (the token is wrong or lacks a permission); a missing repository and unmergeable PRs are permanent.

Waiting is nearly free. The reads the bot repeats on every pass (a branch's PR, a PR's reviews, a commit's
statuses, promoter's PRs) are conditional requests: per page (URL and parameters) the adapter keeps the
last ETag and what it parsed from that page, sends ``If-None-Match``, and reuses the page when GitHub
answers ``304 Not Modified``, which does not count against the rate limit. A change (a new PR, a label, a
review, a merge) changes the page and so its ETag: it is seen at once. The pages are kept in a bounded LRU,
so a daemon with many pipelines does not grow without bound. These reads are parsed from the JSON at the
edge, reading only the fields used, into the same values PyGithub's objects give (:func:`wire.view`).
"""

from __future__ import annotations

import collections
import dataclasses
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import github
import requests

from promoter.adapters import githubwire as wire
from promoter.adapters import tls
from promoter.core.history import CommitStatus
from promoter.core.pullrequest import PullRequest
from promoter.errors import CredentialError, PermanentError, TemporaryError

_T = TypeVar("_T")
_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")
_PER_PAGE = 100  # GitHub's most: fewest pages
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
_PageKey = tuple[str, tuple[tuple[str, str], ...]]


class GitHubForge:
    def __init__(
        self,
        api_url: str,
        repository: str,
        auth: github.Auth.Auth,
        bot_login: str | None = None,
        timeout: float = 15,
        write_spacing: float = 0.0,
        cache_size: int = 4096,
    ) -> None:
        self.repository = repository
        self._owner = repository.split("/", 1)[0]
        # PyGithub spaces requests by default (0.25 s, and 1 s between writes). promoter writes a handful of
        # times per step, far below GitHub's secondary limits, and must revert within a second: no spacing
        # unless asked for. lazy: objects fetched by number are not loaded until read (fewer requests).
        self._gh = github.Github(
            base_url=api_url.rstrip("/"),
            auth=auth,
            timeout=int(timeout),
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=write_spacing or None,
            lazy=True,
            per_page=100,
        )
        self._repo = self._gh.get_repo(repository)
        self._bot = bot_login
        self._pages: _LRU[_PageKey, _Page] = _LRU(cache_size)
        # Told to wait by a secondary rate limit: no request before then (monotonic), whoever would make it.
        self._quiet_until = 0.0
        # (PR number, marker) -> (comment id, digest of the body the bot wrote): edited by id, no listing.
        self._comments: _LRU[tuple[int, str], tuple[int, str]] = _LRU(cache_size)
        # PRs this process opened: none of the bot's comments can be on them yet, so the first is not looked for.
        self._opened: _LRU[int, bool] = _LRU(cache_size)
        # Commits merged here, or heads of PRs opened here: only this process can have set their statuses. On any
        # other, a pass that stopped before recording its status may have set it: looked for before posting.
        self._fresh: _LRU[str, bool] = _LRU(cache_size)
        # (sha, context) -> (state, description) as last set here: the same again is not posted again.
        self._statuses: _LRU[tuple[str, str], tuple[str, str]] = _LRU(cache_size)

    @property
    def bot_login(self) -> str:
        if self._bot is None:
            self._bot = self._call(lambda: self._gh.get_user().login, "who am I")
        return self._bot

    # pull requests ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Release the HTTP connections (PyGithub's session)."""
        self._gh.close()

    def find_pr(self, head_branch: str) -> PullRequest | None:
        newest = {"state": "all", "head": f"{self._owner}:{head_branch}", "sort": "created", "direction": "desc"}
        return self._call(
            lambda: next(self._listed("/pulls", newest, wire.pull), None), f"finding the PR of {head_branch}"
        )

    def open_pr(self, head_branch: str, base_branch: str, title: str, body: str, labels: Sequence[str]) -> PullRequest:
        """Open the PR, or return the open one of ``head_branch`` (a pass that stopped after opening it).

        Created first and looked for only when GitHub answers that one exists (422): one request, not two."""

        def create() -> PullRequest:
            try:
                created = self._repo.create_pull(base=base_branch, head=head_branch, title=title, body=body)
            except github.GithubException as exc:
                found = self.find_pr(head_branch) if exc.status == 422 else None
                if found is not None and found.open:
                    return found
                raise
            pr = wire.view(created)
            self._opened.put(pr.number, True)
            self._fresh.put(pr.head_sha, True)
            if not labels:
                return pr
            # A pull cannot be created with labels (an issue can): one more call, whose answer is the labels.
            _, data = self._gh.requester.requestJsonAndCheck(
                "POST", f"{self._repo.url}/issues/{pr.number}/labels", input=list(labels)
            )
            return dataclasses.replace(pr, labels=tuple(wire.parse(wire.Label, item).name for item in wire.items(data)))

        return self._call(create, f"opening a PR for {head_branch}")

    def marked_prs(self) -> list[PullRequest]:
        oldest_first = {"state": "all", "sort": "created", "direction": "asc"}  # new PRs change the last page only
        return self._call(lambda: list(self._listed("/pulls", oldest_first, wire.marked)), "listing promoter's PRs")

    def approvals(self, number: int, head_sha: str) -> frozenset[str]:
        def approving() -> frozenset[str]:
            latest: dict[str, tuple[str, str | None]] = {}
            for login, state, sha in self._listed(f"/pulls/{number}/reviews", {}, wire.review):
                latest[login] = (state, sha)
            bot = self._bot
            return frozenset(
                login
                for login, (state, sha) in latest.items()
                if state == "APPROVED" and sha == head_sha and login != bot
            )

        return self._call(approving, f"reading the reviews of #{number}")

    def merge(self, number: int, head_sha: str, method: str, title: str) -> str:
        url = f"{self._repo.url}/pulls/{number}"
        wanted = {"commit_title": title, "merge_method": method, "sha": head_sha}

        def merge() -> str:
            try:
                _, data = self._gh.requester.requestJsonAndCheck("PUT", f"{url}/merge", input=wanted)
            except github.GithubException as exc:
                if exc.status not in (405, 409):
                    raise
                # Not mergeable: perhaps merged already (a pass that crashed before recording it). Only then is
                # the PR read; the merge itself is one request.
                _, data = self._gh.requester.requestJsonAndCheck("GET", url)
                pr = wire.pull(data)
                if not pr.merged:
                    raise
                return str(pr.merge_sha)  # (merged by a pass that stopped: not fresh, it may have a status)
            merged = wire.parse(wire.Merge, data).sha
            self._fresh.put(merged, True)
            return merged

        return self._call(merge, f"merging #{number}")

    # comments and statuses -------------------------------------------------------------------------

    def upsert_comment(self, number: int, marker: str, body: str) -> None:
        def upsert() -> None:
            key = (number, marker)
            known = self._comments.get(key)
            if known is not None and self._edit_comment(*known, body):
                self._comments.put(key, (known[0], wire.digest(body)))
                return
            if known is None and self._opened.get(number):
                self._comments.put(key, (self._repo.get_issue(number).create_comment(body).id, wire.digest(body)))
                return
            issue = self._repo.get_issue(number)
            bot = self.bot_login
            for comment in issue.get_comments():
                if marker in (comment.body or "") and comment.user is not None and comment.user.login == bot:
                    if comment.body != body:
                        comment.edit(body)
                    self._comments.put(key, (comment.id, wire.digest(body)))
                    return
            self._comments.put(key, (issue.create_comment(body).id, wire.digest(body)))

        self._call(upsert, f"commenting on #{number}")

    def _edit_comment(self, comment_id: int, written: str, body: str) -> bool:
        """Edit the bot's comment by id; False if it is gone (deleted), so that it is found or written again.

        When the body is the one the bot wrote last, a conditional read (free while nobody touched the
        comment) checks it is still there and unchanged, as the listing used to.
        """
        url = f"{self._repo.url}/issues/comments/{comment_id}"
        try:
            if wire.digest(body) == written and self._page(url, {}, wire.comment_digest).items == (written,):
                return True
            self._gh.requester.requestJsonAndCheck("PATCH", url, input={"body": body})
        except github.GithubException as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def add_labels(self, number: int, names: Sequence[str]) -> None:
        if names:
            self._call(lambda: self._repo.get_issue(number).add_to_labels(*names), f"labelling #{number}")

    def remove_labels(self, number: int, names: Sequence[str]) -> None:
        def remove() -> None:
            for name in names:
                try:
                    self._gh.requester.requestJsonAndCheck(
                        "DELETE", f"{self._repo.url}/issues/{number}/labels/{urllib.parse.quote(name, safe='')}"
                    )
                except github.GithubException as exc:
                    if exc.status != 404:  # not on the PR (removed already, by a person or a crashed pass)
                        raise

        self._call(remove, f"unlabelling #{number}")

    def commit_status(self, sha: str) -> CommitStatus | None:
        statuses = f"/commits/{sha}/statuses"  # newest first
        return self._call(
            lambda: next(self._listed(statuses, {}, wire.promoter_status), None), f"reading the status of {sha[:12]}"
        )

    def set_status(
        self, sha: str, state: str, description: str, target_url: str | None = None, context: str = "promoter"
    ) -> None:
        """Idempotent: a status the commit has already (set here, or by a pass that stopped before recording it)
        is not posted again; GitHub keeps every one posted."""
        key, wanted = (sha, context), (state, description[:140])
        if self._statuses.get(key) == wanted:
            return
        if self._statuses.get(key) is None and self._fresh.get(sha) is None and self._latest(sha, context) == wanted:
            self._statuses.put(key, wanted)
            return
        payload: dict[str, Any] = {"state": state, "description": wanted[1], "context": context}
        if target_url:
            payload["target_url"] = target_url
        # A direct POST: fetching the commit object first would cost a request for nothing.
        self._call(
            lambda: self._gh.requester.requestJsonAndCheck("POST", f"{self._repo.url}/statuses/{sha}", input=payload),
            f"setting the status of {sha[:12]}",
        )
        self._statuses.put(key, wanted)

    def _latest(self, sha: str, context: str) -> tuple[str, str] | None:
        """The commit's latest status of ``context``: (state, description)."""

        def of_context(data: Any) -> tuple[str, str] | None:
            status = wire.parse(wire.Status, data)
            return (status.state.value, status.description or "") if status.context == context else None

        statuses = f"/commits/{sha}/statuses"  # newest first
        return self._call(lambda: next(self._listed(statuses, {}, of_context), None), f"reading {sha[:12]}'s status")

    # conditional reads -----------------------------------------------------------------------------

    def _listed(self, path: str, parameters: dict[str, str], parse: Callable[[Any], _T | None]) -> Iterator[_T]:
        """The parsed items of one of the repository's lists, page by page (following ``Link: rel="next"``),
        each page a conditional request; items ``parse`` turns into None are left out (and not kept)."""
        url: str | None = f"{self._repo.url}{path}"
        query = {**parameters, "per_page": str(_PER_PAGE)}
        while url is not None:
            page = self._page(url, query, parse)
            yield from page.items
            url, query = page.next_url, {}  # the next page's URL carries every parameter

    def _page(self, url: str, query: dict[str, str], parse: Callable[[Any], Any]) -> _Page:
        key = (url, tuple(sorted(query.items())))
        cached = self._pages.get(key)
        headers = {"If-None-Match": cached.etag} if cached is not None else {}
        answered, data = self._gh.requester.requestJsonAndCheck("GET", url, parameters=query or None, headers=headers)
        # requestJsonAndCheck raises a GithubException for a status >= 400 (mapped by _call as for any call)
        # and returns the parsed body otherwise, None when there is no body: a 304 Not Modified.
        if data is None:
            if cached is None:
                raise PermanentError(f"GitHub answered GET {url} without a body")
            return cached
        parsed = (parse(item) for item in (data if isinstance(data, list) else [data]))
        page = _Page(answered.get("etag", ""), tuple(item for item in parsed if item is not None), _next(answered))
        if page.etag:
            self._pages.put(key, page)
        return page

    # errors ----------------------------------------------------------------------------------------

    def _call(self, action: Callable[[], _T], what: str) -> _T:
        # GitHub asks a client held back by a secondary limit to make no request until Retry-After has passed;
        # one more meanwhile prolongs it. So the other calls of this pass wait as well, without asking.
        waiting = self._quiet_until - time.monotonic()
        if waiting > 0:
            raise TemporaryError(f"GitHub rate limit while {what}: waiting {waiting:.0f}s as it asked", delay=waiting)
        try:
            return action()
        except github.RateLimitExceededException as exc:
            delay = _retry_after(exc.headers)
            if _secondary(exc):  # the primary budget still answers conditional requests (a 304 costs nothing)
                self._quiet_until = time.monotonic() + delay
            raise TemporaryError(f"GitHub rate limit while {what}", delay=delay) from exc
        except github.BadCredentialsException:
            raise CredentialError(f"GitHub refused the token (401) while {what} ({self.repository})") from None
        except github.GithubException as exc:
            message = _message(exc)
            if exc.status == 401:
                raise CredentialError(f"GitHub 401 while {what}: {message} ({self.repository})") from None
            if exc.status == 403:
                raise CredentialError(
                    f"GitHub 403 while {what}: {message} (check the token's permissions on {self.repository})"
                ) from None
            if exc.status >= 500 or exc.status == 429:
                raise TemporaryError(f"GitHub {exc.status} while {what}: {message}") from None
            if exc.status == 409:  # the head moved, or the base did: observe again
                raise TemporaryError(f"GitHub 409 while {what}: {message}", delay=1) from None
            raise PermanentError(f"GitHub {exc.status} while {what}: {message}") from None
        except requests.RequestException as exc:
            problem = tls.certificate_problem(exc)
            if problem is not None:  # retrying would not make it trusted
                raise PermanentError(
                    f"GitHub's certificate was refused while {what} ({problem}): for a private CA, point "
                    "$REQUESTS_CA_BUNDLE (and $GIT_SSL_CAINFO, for git) at its certificates"
                ) from None
            raise TemporaryError(f"GitHub unreachable while {what}: {type(exc).__name__}") from None


@dataclasses.dataclass(frozen=True)
class _Page:
    """One page of a list as last answered: its ETag, what was parsed from it, the next page's URL."""

    etag: str
    items: tuple[Any, ...]
    next_url: str | None


class _LRU(Generic[_K, _V]):
    """At most ``size`` entries; the least recently used goes first. Safe to share between threads."""

    def __init__(self, size: int) -> None:
        self.size = max(size, 1)
        self._entries: collections.OrderedDict[_K, _V] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: _K) -> _V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: _K, value: _V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def _next(headers: dict[str, Any]) -> str | None:
    match = _NEXT.search(str(headers.get("link") or ""))
    return match.group(1) if match else None


def _secondary(exc: github.GithubException) -> bool:
    """A secondary rate limit (too many requests too fast), not the hourly budget spent."""
    headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
    message = exc.data.get("message", "") if isinstance(exc.data, dict) else ""
    return "retry-after" in headers or "secondary rate limit" in str(message).lower()


def _retry_after(headers: dict[str, Any] | None) -> float:
    """GitHub's ``Retry-After`` (seconds) on a secondary rate limit; a minute when it says nothing."""
    value = {k.lower(): v for k, v in (headers or {}).items()}.get("retry-after")
    try:
        return max(1.0, float(value)) if value is not None else 60.0
    except ValueError:
        return 60.0


def _message(exc: github.GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    return str(data.get("message") or exc)[:300]


def token_auth(token: str) -> github.Auth.Auth:
    return github.Auth.Token(token)


def app_auth(api_url: str, app_id: int, installation_id: int, private_key: str) -> github.Auth.AppInstallationAuth:
    """A GitHub App installation: PyGithub signs the JWT and renews the installation token before it expires."""
    app = github.Auth.AppAuth(app_id, private_key)
    installation = github.GithubIntegration(auth=app, base_url=api_url.rstrip("/"))
    return installation.get_github_for_installation(installation_id).requester.auth  # type: ignore[return-value]
