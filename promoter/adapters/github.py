"""GitHub through PyGithub: the one module that talks to the forge (DESIGN.md §9).

Pull requests are found by their head branch (find before create), comments by the hidden marker the bot
writes into them (edited in place, never duplicated). Errors are mapped once: rate limits (403 or 429 with
a rate-limit message), 5xx and network trouble are temporary; a 401, or any other 403, is a credential
error (the token is wrong or lacks a permission); a missing repository and unmergeable PRs are permanent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import github
import requests
from github.PullRequest import PullRequest as GitHubPullRequest

from promoter.core import markers
from promoter.core.history import CommitStatus
from promoter.core.pullrequest import PullRequest
from promoter.errors import CredentialError, PermanentError, TemporaryError

_T = TypeVar("_T")


class GitHubForge:
    def __init__(
        self,
        api_url: str,
        repository: str,
        auth: github.Auth.Auth,
        bot_login: str | None = None,
        timeout: float = 15,
        write_spacing: float = 0.0,
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

    @property
    def bot_login(self) -> str:
        if self._bot is None:
            self._bot = self._call(lambda: self._gh.get_user().login, "who am I")
        return self._bot

    # pull requests ---------------------------------------------------------------------------------

    def find_pr(self, head_branch: str) -> PullRequest | None:
        def newest() -> PullRequest | None:
            pulls = self._repo.get_pulls(
                state="all", head=f"{self._owner}:{head_branch}", sort="created", direction="desc"
            )
            for pr in pulls:
                return _view(pr)
            return None

        return self._call(newest, f"finding the PR of {head_branch}")

    def open_pr(self, head_branch: str, base_branch: str, title: str, body: str, labels: Sequence[str]) -> PullRequest:
        found = self.find_pr(head_branch)
        if found is not None and found.open:
            return found

        def create() -> PullRequest:
            pr = self._repo.create_pull(base=base_branch, head=head_branch, title=title, body=body)
            if labels:
                pr.add_to_labels(*labels)
            return _view(pr)

        return self._call(create, f"opening a PR for {head_branch}")

    def marked_prs(self) -> list[PullRequest]:
        def listed() -> list[PullRequest]:
            pulls = self._repo.get_pulls(state="all", sort="created", direction="asc")
            return [_view(pr) for pr in pulls if markers.parse(pr.body or "") is not None]

        return self._call(listed, "listing promoter's PRs")

    def approvals(self, number: int, head_sha: str) -> frozenset[str]:
        def approving() -> frozenset[str]:
            latest: dict[str, tuple[str, str]] = {}
            for review in self._repo.get_pull(number).get_reviews():
                if review.user is None or review.state in ("COMMENTED", "PENDING"):
                    continue
                latest[review.user.login] = (review.state, review.commit_id)
            bot = self._bot
            return frozenset(
                login
                for login, (state, sha) in latest.items()
                if state == "APPROVED" and sha == head_sha and login != bot
            )

        return self._call(approving, f"reading the reviews of #{number}")

    def merge(self, number: int, head_sha: str, method: str, title: str) -> str:
        def merge() -> str:
            pr = self._repo.get_pull(number)
            if pr.merged:
                return str(pr.merge_commit_sha)
            status = pr.merge(commit_title=title, merge_method=method, sha=head_sha)
            return str(status.sha)

        return self._call(merge, f"merging #{number}")

    # comments and statuses -------------------------------------------------------------------------

    def upsert_comment(self, number: int, marker: str, body: str) -> None:
        def upsert() -> None:
            issue = self._repo.get_issue(number)
            bot = self.bot_login
            for comment in issue.get_comments():
                if marker in (comment.body or "") and comment.user is not None and comment.user.login == bot:
                    if comment.body != body:
                        comment.edit(body)
                    return
            issue.create_comment(body)

        self._call(upsert, f"commenting on #{number}")

    def add_labels(self, number: int, names: Sequence[str]) -> None:
        if names:
            self._call(lambda: self._repo.get_issue(number).add_to_labels(*names), f"labelling #{number}")

    def commit_status(self, sha: str) -> CommitStatus | None:
        def latest() -> CommitStatus | None:
            for status in self._repo.get_commit(sha).get_statuses():  # newest first
                if status.context == "promoter":
                    return CommitStatus(status.state, status.description or "", status.created_at)
            return None

        return self._call(latest, f"reading the status of {sha[:12]}")

    def set_status(self, sha: str, state: str, description: str, target_url: str | None = None) -> None:
        payload: dict[str, Any] = {"state": state, "description": description[:140], "context": "promoter"}
        if target_url:
            payload["target_url"] = target_url
        # A direct POST: fetching the commit object first would cost a request for nothing.
        self._call(
            lambda: self._gh.requester.requestJsonAndCheck("POST", f"{self._repo.url}/statuses/{sha}", input=payload),
            f"setting the status of {sha[:12]}",
        )

    # errors ----------------------------------------------------------------------------------------

    def _call(self, action: Callable[[], _T], what: str) -> _T:
        try:
            return action()
        except github.RateLimitExceededException as exc:
            raise TemporaryError(f"GitHub rate limit while {what}", delay=_retry_after(exc.headers)) from exc
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
            raise TemporaryError(f"GitHub unreachable while {what}: {type(exc).__name__}") from None


def _view(pr: GitHubPullRequest) -> PullRequest:
    merged = pr.merged_at is not None
    return PullRequest(
        number=pr.number,
        url=pr.html_url,
        state=pr.state,
        merged=merged,
        merge_sha=pr.merge_commit_sha if merged else None,
        head_branch=pr.head.ref,
        head_sha=pr.head.sha,
        base_branch=pr.base.ref,
        title=pr.title,
        body=pr.body or "",
        labels=tuple(label.name for label in pr.labels),
        created_at=pr.created_at,
        merged_at=pr.merged_at,
    )


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
