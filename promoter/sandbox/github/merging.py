"""The git side of pull requests: their tips, their size, whether they merge, and merging them for real.

A merge never touches a working tree: ``git merge-tree --write-tree`` computes the result,
``git commit-tree`` writes the commit and ``git update-ref <new> <old>`` moves the base branch only if
nobody moved it meanwhile, so a push racing a merge cannot be lost.
"""

from __future__ import annotations

from collections.abc import Mapping

from promoter.sandbox.github import accounts, diffs, errors, forge, lifecycle, records, repository
from promoter.sandbox.github.payloads import pulls

METHODS = ("merge", "squash", "rebase")
_NOT_ALLOWED = {
    "merge": "Merge commits are not allowed on this repository.",
    "squash": "Squash merges are not allowed on this repository.",
    "rebase": "Rebase merges are not allowed on this repository.",
}
_GREEN = {"success", "neutral", "skipped"}


def refresh(hub: forge.Forge, issue: records.Issue, branches: Mapping[str, str] | None = None) -> None:
    """Bring an open pull request's tips up to date with the bare repository (closed ones stay frozen).

    Pushes reach the bare repository without passing through the sandbox, so what GitHub does on a push
    happens here, when the sandbox next looks: a moved head is ``synchronize``, and a pull request whose
    head or base branch was deleted is closed.
    """
    part = issue.pull
    if part is None or issue.state != "open":
        return
    heads = dict(branches) if branches is not None else hub.git.branches()
    if part.head not in heads or part.base not in heads:
        lifecycle.close(hub, issue, None)
        return
    moved = False
    with hub.state.lock:
        if heads[part.head] != part.head_sha:
            part.head_sha, moved = heads[part.head], True
        part.base_sha = heads[part.base]
    if moved:
        hub.state.publish(records.Event("pull_request", "synchronize", issue.number, None))


def checks_pass(hub: forge.Forge, sha: str) -> bool:
    """Whether every status context and check run on ``sha`` is green (none at all counts as green)."""
    statuses = hub.state.latest_statuses(sha)
    runs = hub.state.latest_check_runs(sha)
    return all(s.state == "success" for s in statuses) and all(
        r.status == "completed" and r.conclusion in _GREEN for r in runs
    )


def facts(hub: forge.Forge, issue: records.Issue) -> pulls.Facts:
    """Size and mergeability for the full pull request form; closed ones are "unknown" as on GitHub."""
    assert issue.pull is not None
    part = issue.pull
    base = hub.git.merge_base(part.base_sha, part.head_sha) or part.base_sha
    files, additions, deletions = diffs.totals(hub.git, base, part.head_sha)
    size = (hub.git.count(part.base_sha, part.head_sha), additions, deletions, files)
    if issue.state != "open":
        return pulls.Facts(*size, mergeable=None, mergeable_state="unknown", rebaseable=None)
    if not hub.git.merge_tree(part.base_sha, part.head_sha).clean:
        return pulls.Facts(*size, mergeable=False, mergeable_state="dirty", rebaseable=False)
    if part.draft:
        state = "draft"
    elif not checks_pass(hub, part.head_sha):
        state = "unstable"
    else:
        state = "clean"
    return pulls.Facts(*size, mergeable=True, mergeable_state=state, rebaseable=True)


def merge(
    hub: forge.Forge,
    number: int,
    user: accounts.User,
    method: str,
    sha: str | None,
    title: str | None,
    message: str | None,
) -> str:
    """Merge pull request ``number`` into its base branch; the new tip of the base."""
    if method not in METHODS:
        raise errors.invalid("PullRequest", "merge_method", "invalid", method)
    if method not in hub.merge_methods:
        raise errors.ApiError(405, _NOT_ALLOWED[method])
    with hub.merge_lock:
        issue, part = hub.state.pull(number)
        if part.merged or issue.state != "open" or part.draft:
            raise errors.ApiError(405, "Pull Request is not mergeable")
        head, base = hub.git.branch(part.head), hub.git.branch(part.base)
        if head is None or base is None:
            raise errors.ApiError(405, "Pull Request is not mergeable")
        if sha is not None and sha != head:
            raise errors.ApiError(409, "Head branch was modified. Review and try the merge again.")
        now = hub.state.now()
        new = _combine(hub, method, issue, user, base, head, title, message)
        if not hub.git.update_ref(f"refs/heads/{part.base}", new, base):
            raise errors.ApiError(409, "Base branch was modified. Review and try the merge again.")
        with hub.state.lock:
            part.head_sha, part.base_sha = head, base
            part.merged_at, part.merged_by, part.merge_commit_sha = now, user.login, new
            issue.state, issue.closed_at, issue.closed_by, issue.updated_at = "closed", now, user.login, now
    hub.state.publish(records.Event("pull_request", "closed", number, user.login))
    return new


def _combine(
    hub: forge.Forge,
    method: str,
    issue: records.Issue,
    user: accounts.User,
    base: str,
    head: str,
    title: str | None,
    message: str | None,
) -> str:
    """The commit the base branch moves to, made as GitHub makes it (GitHub as committer; the merger as
    the author of a merge commit, the pull request's author as the author of a squash)."""
    assert issue.pull is not None
    github = repository.Signature("GitHub", "noreply@github.com", hub.state.now())
    commits = hub.git.commits(base, head)
    if method == "rebase":
        rebased = _rebase(hub.git, commits, base, github)
        if rebased is None:
            raise errors.ApiError(405, "This branch can't be rebased")
        return rebased
    result = hub.git.merge_tree(base, head)
    if result.tree is None or not result.clean:
        raise errors.ApiError(405, "Pull Request is not mergeable")
    if method == "merge":
        default = f"Merge pull request #{issue.number} from {hub.owner}/{issue.pull.head}"
        text = _message(title or default, issue.title if message is None else message)
        author = repository.Signature(user.git_name, user.git_email, github.date)
        return hub.git.commit_tree(result.tree, [base, head], text, author, github)
    listing = "\n\n".join(f"* {c.message.strip()}" for c in commits)
    text = _message(title or f"{issue.title} (#{issue.number})", listing if message is None else message)
    opener = hub.accounts.by_login(issue.author) or user
    author = repository.Signature(opener.git_name, opener.git_email, github.date)
    return hub.git.commit_tree(result.tree, [base], text, author, github)


def _message(title: str, body: str) -> str:
    return f"{title}\n\n{body}\n" if body.strip() else f"{title}\n"


def _rebase(
    git: repository.BareRepository,
    commits: list[repository.Commit],
    onto: str,
    committer: repository.Signature,
) -> str | None:
    """Replay ``commits`` on ``onto`` as GitHub's "rebase and merge" does; None on a conflict.

    git 2.39's ``merge-tree`` cannot be told the merge base, so each pick merges two throwaway commits
    whose only common ancestor holds the picked commit's parent tree: a three-way merge of exactly that
    commit's change onto the tip. The throwaway objects are unreferenced and left to ``git gc``.
    """
    tip = onto
    for commit in commits:
        if len(commit.parents) != 1:
            return None
        parent = commit.parents[0]
        if parent == tip:
            tree = commit.tree
        else:
            scratch = repository.Signature("sandbox", "sandbox@localhost", committer.date)
            root = git.commit_tree(git.tree(parent), [], "base", scratch, scratch)
            ours = git.commit_tree(git.tree(tip), [root], "ours", scratch, scratch)
            theirs = git.commit_tree(commit.tree, [root], "theirs", scratch, scratch)
            result = git.merge_tree(ours, theirs)
            if result.tree is None or not result.clean:
                return None
            tree = result.tree
        tip = git.commit_tree(tree, [tip], commit.message, commit.author, committer)
    return tip
