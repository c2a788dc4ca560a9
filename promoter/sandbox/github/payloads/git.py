"""Git objects as the REST API shows them: refs, git commits, "commits" (with GitHub users), comparisons,
changed files and file contents."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from promoter.sandbox.github import diffs, forge, links, repository
from promoter.sandbox.github.payloads import users

_UNSIGNED = {"verified": False, "reason": "unsigned", "signature": None, "payload": None, "verified_at": None}


def ref(urls: links.Links, found: repository.Ref) -> dict[str, Any]:
    """A ref; an annotated tag's object is the tag, as on GitHub."""
    target = urls.git_commit(found.sha) if found.kind == "commit" else f"{urls.api}/git/{found.kind}s/{found.sha}"
    return {
        "ref": found.name,
        "node_id": f"REF_sandbox_{found.name}",
        "url": urls.ref(found.name),
        "object": {"type": found.kind, "sha": found.sha, "url": target},
    }


def _person(signature: repository.Signature) -> dict[str, Any]:
    return {"name": signature.name, "email": signature.email, "date": users.timestamp(signature.date)}


def git_commit(urls: links.Links, commit: repository.Commit) -> dict[str, Any]:
    """``GET .../git/commits/{sha}``: the commit object itself."""
    return {
        "sha": commit.sha,
        "node_id": f"C_sandbox_{commit.sha}",
        "url": urls.git_commit(commit.sha),
        "html_url": urls.html_commit(commit.sha),
        "author": _person(commit.author),
        "committer": _person(commit.committer),
        "tree": {"sha": commit.tree, "url": urls.tree(commit.tree)},
        "message": commit.message.rstrip("\n"),
        "parents": [{"sha": p, "url": urls.git_commit(p), "html_url": urls.html_commit(p)} for p in commit.parents],
        "verification": dict(_UNSIGNED),
    }


def _user_by_email(hub: forge.Forge, urls: links.Links, email: str) -> dict[str, Any]:
    """The GitHub user a commit's email belongs to, as GitHub links authors.

    For strangers GitHub sends ``null``, but the description's ``nullable`` + ``oneOf`` admits only the
    empty object, so that is what the sandbox sends (PyGithub reads either as "no user").
    """
    for user in hub.accounts:
        if email.lower() in {user.git_email.lower(), (user.email or "").lower()}:
            return users.simple(urls, user.login, user.id, user.kind)
    return {}


def commit(
    hub: forge.Forge, urls: links.Links, found: repository.Commit, files: Sequence[diffs.FileChange] | None = None
) -> dict[str, Any]:
    """A "commit" of the REST API (``/commits/{ref}``, branches, comparisons): git data plus users."""
    data: dict[str, Any] = {
        "url": urls.commit(found.sha),
        "sha": found.sha,
        "node_id": f"C_sandbox_{found.sha}",
        "html_url": urls.html_commit(found.sha),
        "comments_url": f"{urls.commit(found.sha)}/comments",
        "commit": {
            "url": urls.git_commit(found.sha),
            "author": _person(found.author),
            "committer": _person(found.committer),
            "message": found.message.rstrip("\n"),
            "comment_count": 0,
            "tree": {"sha": found.tree, "url": urls.tree(found.tree)},
            "verification": dict(_UNSIGNED),
        },
        "author": _user_by_email(hub, urls, found.author.email),
        "committer": _user_by_email(hub, urls, found.committer.email),
        "parents": [{"sha": p, "url": urls.commit(p), "html_url": urls.html_commit(p)} for p in found.parents],
    }
    if files is not None:
        additions = sum(change.additions for change in files)
        deletions = sum(change.deletions for change in files)
        data["stats"] = {"additions": additions, "deletions": deletions, "total": additions + deletions}
        data["files"] = [diff_entry(urls, change, found.sha) for change in files]
    return data


def diff_entry(urls: links.Links, change: diffs.FileChange, ref: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "sha": change.sha,
        "filename": change.filename,
        "status": change.status,
        "additions": change.additions,
        "deletions": change.deletions,
        "changes": change.changes,
        "blob_url": urls.html_blob(ref, change.filename),
        "raw_url": urls.raw(change.sha or repository.ZERO),
        "contents_url": urls.contents(change.filename, ref),
    }
    if change.patch is not None:
        data["patch"] = change.patch
    return data


def comparison(
    hub: forge.Forge,
    urls: links.Links,
    basehead: str,
    base: repository.Commit,
    merge_base: repository.Commit,
    commits: Sequence[repository.Commit],
    behind_by: int,
    ahead_by: int,
    files: Sequence[diffs.FileChange],
    head_sha: str,
) -> dict[str, Any]:
    if ahead_by and behind_by:
        status = "diverged"
    elif ahead_by:
        status = "ahead"
    elif behind_by:
        status = "behind"
    else:
        status = "identical"
    return {
        "url": urls.compare(basehead),
        "html_url": f"{urls.html}/compare/{links.quote(basehead)}",
        "permalink_url": f"{urls.html}/compare/{base.sha}...{head_sha}",
        "diff_url": f"{urls.html}/compare/{links.quote(basehead)}.diff",
        "patch_url": f"{urls.html}/compare/{links.quote(basehead)}.patch",
        "base_commit": commit(hub, urls, base),
        "merge_base_commit": commit(hub, urls, merge_base),
        "status": status,
        "ahead_by": ahead_by,
        "behind_by": behind_by,
        "total_commits": ahead_by,
        "commits": [commit(hub, urls, item) for item in commits],
        "files": [diff_entry(urls, change, head_sha) for change in files],
    }


def content(urls: links.Links, entry: repository.Entry, ref: str) -> dict[str, Any]:
    """One entry of ``GET .../contents/{path}``; files carry their bytes in base64, 60 columns as GitHub."""
    name = entry.path.rsplit("/", 1)[-1]
    self_url = urls.contents(entry.path, ref)
    git_url = urls.tree(entry.sha) if entry.kind == "dir" else urls.blob(entry.sha)
    html = f"{urls.html}/{'tree' if entry.kind == 'dir' else 'blob'}/{links.quote(ref)}/{links.quote(entry.path)}"
    data: dict[str, Any] = {
        "type": entry.kind,
        "name": name,
        "path": entry.path,
        "sha": entry.sha,
        "size": entry.size,
        "url": self_url,
        "html_url": html,
        "git_url": git_url,
        "download_url": urls.raw(entry.sha) if entry.kind == "file" else None,
        "_links": {"self": self_url, "git": git_url, "html": html},
    }
    if entry.kind == "symlink" and entry.content is not None:
        data["target"] = entry.content.decode("utf-8", "replace")
    elif entry.content is not None:
        encoded = base64.b64encode(entry.content).decode()
        data["content"] = "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))
        data["encoding"] = "base64"
    return data
