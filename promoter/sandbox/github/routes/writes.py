"""Writing through the API instead of git: blobs, trees, commits, and one-file commits to a branch.

The bot itself pushes with git; these serve tools (and people trying the sandbox) that commit through
the REST API the way GitHub's web editor does.
"""

from __future__ import annotations

import base64
import binascii
import datetime
from typing import Any

from starlette.routing import Route

from promoter.sandbox.github import endpoint, errors, objects, repository
from promoter.sandbox.github.accounts import Role
from promoter.sandbox.github.payloads import git

REPO = "/repos/{owner}/{repo}"


def routes() -> list[Route]:
    return [
        endpoint.route("POST", f"{REPO}/git/blobs", create_blob),
        endpoint.route("POST", f"{REPO}/git/trees", create_tree),
        endpoint.route("GET", f"{REPO}/git/trees/{{tree_sha}}", get_tree),
        endpoint.route("POST", f"{REPO}/git/commits", create_commit),
        endpoint.route("PUT", f"{REPO}/contents/{{path}}", put_contents),
    ]


def _decode(text: Any, encoding: str) -> bytes:
    if not isinstance(text, str):
        raise errors.invalid("Blob", "content", "missing_field")
    if encoding == "utf-8":
        return text.encode()
    try:
        return base64.b64decode(text, validate=False)
    except binascii.Error as exc:
        raise errors.unprocessable("content is not valid Base64") from exc


def create_blob(call: endpoint.Call) -> endpoint.Reply:
    call.require(Role.WRITE)
    encoding = call.field("encoding", str, "utf-8")
    if encoding not in ("utf-8", "base64"):
        raise errors.invalid("Blob", "encoding", "invalid", encoding)
    sha = objects.write_blob(call.forge.git, _decode(call.field("content"), encoding))
    return endpoint.Reply(201, {"url": call.links.blob(sha), "sha": sha}, {"Location": call.links.blob(sha)})


def _edit(call: endpoint.Call, item: Any) -> objects.TreeEdit:
    """One entry of ``tree``: a ``sha`` of the kind its ``mode`` implies, ``content`` for a new blob, or
    ``sha: null`` to delete the path."""
    if not isinstance(item, dict) or not isinstance(item.get("path"), str) or item.get("mode") not in objects.MODES:
        raise errors.unprocessable("Invalid tree info")
    mode, path = str(item["mode"]), str(item["path"])
    if isinstance(item.get("content"), str):
        return objects.TreeEdit(path, mode, objects.write_blob(call.forge.git, item["content"].encode()))
    sha = item.get("sha")
    if sha is None:
        return objects.TreeEdit(path, mode, None)
    if not isinstance(sha, str) or call.forge.git.object_kind(sha) != objects.MODES[mode]:
        raise errors.unprocessable(f"tree.sha {sha} is not a valid {objects.MODES[mode]}")
    return objects.TreeEdit(path, mode, sha)


def _tree(call: endpoint.Call, sha: str) -> dict[str, Any]:
    recursive = call.query.get("recursive", "") not in ("", "0", "false")
    found = objects.entries(call.forge.git, sha, recursive)
    items = []
    for entry in found:
        item: dict[str, Any] = {"path": entry.path, "mode": entry.mode, "type": entry.kind, "sha": entry.sha}
        if entry.kind == "blob":
            item |= {"size": entry.size, "url": call.links.blob(entry.sha)}
        elif entry.kind == "tree":
            item["url"] = call.links.tree(entry.sha)
        items.append(item)
    return {"sha": sha, "url": call.links.tree(sha), "tree": items, "truncated": False}


def create_tree(call: endpoint.Call) -> endpoint.Reply:
    call.require(Role.WRITE)
    base = call.field("base_tree")
    if base is not None and call.forge.git.object_kind(base) != "tree":
        raise errors.unprocessable("base_tree is not a valid tree oid")
    items = call.field("tree", list)
    if items is None:
        raise errors.invalid("Tree", "tree", "missing_field")
    sha = objects.build_tree(call.forge.git, base, [_edit(call, item) for item in items])
    return endpoint.Reply(201, _tree(call, sha), {"Location": call.links.tree(sha)})


def get_tree(call: endpoint.Call) -> endpoint.Reply:
    """A tree by its sha, or by a commit or branch it belongs to, as GitHub also accepts."""
    rev = call.params["tree_sha"]
    sha = rev if call.forge.git.object_kind(rev) == "tree" else None
    if sha is None and call.forge.git.resolve(rev) is not None:
        sha = call.forge.git.tree(rev)
    if sha is None:
        raise errors.not_found()
    return endpoint.Reply(200, _tree(call, sha))


def _signature(call: endpoint.Call, name: str, default: repository.Signature) -> repository.Signature:
    given = call.field(name, dict)
    if given is None:
        return default
    try:
        date = datetime.datetime.fromisoformat(str(given.get("date", "")).replace("Z", "+00:00"))
    except ValueError:
        date = default.date
    if date.tzinfo is None:
        date = date.replace(tzinfo=datetime.UTC)
    return repository.Signature(str(given.get("name", default.name)), str(given.get("email", default.email)), date)


def _identities(call: endpoint.Call) -> tuple[repository.Signature, repository.Signature]:
    """Author and committer; both default to the caller, now (the committer to the author)."""
    caller = repository.Signature(call.user.git_name, call.user.git_email, call.forge.state.now())
    author = _signature(call, "author", caller)
    return author, _signature(call, "committer", author)


def create_commit(call: endpoint.Call) -> endpoint.Reply:
    call.require(Role.WRITE)
    hub = call.forge
    message, tree, parents = call.field("message"), call.field("tree"), call.field("parents", list, [])
    if not message or not tree:
        raise errors.invalid("Commit", "message" if not message else "tree", "missing_field")
    if hub.git.object_kind(tree) != "tree":
        raise errors.unprocessable("Tree SHA does not exist")
    if not all(isinstance(p, str) and hub.git.object_kind(p) == "commit" for p in parents):
        raise errors.unprocessable("Parent SHA does not exist or is not a commit object")
    author, committer = _identities(call)
    sha = hub.git.commit_tree(tree, parents, message, author, committer)
    found = hub.git.commit(sha)
    assert found is not None
    return endpoint.Reply(201, git.git_commit(call.links, found), {"Location": call.links.git_commit(sha)})


def put_contents(call: endpoint.Call) -> endpoint.Reply:
    """Create or replace one file on a branch with one commit; ``sha`` must name the file's current blob."""
    call.require(Role.WRITE)
    hub = call.forge
    path = call.params["path"].strip("/")
    message = call.field("message")
    if not message:
        raise errors.invalid("Commit", "message", "missing_field")
    content = _decode(call.field("content"), "base64")
    branch = call.field("branch", str, hub.default_branch)
    tip = hub.git.branch(branch)
    if tip is None:
        raise errors.ApiError(404, f"Branch {branch} not found")
    current = hub.git.entry(tip, path)
    if current is not None and current.kind == "dir":
        raise errors.unprocessable(f"{path} is a directory")
    given = call.field("sha")
    if current is not None and given is None:
        raise errors.unprocessable('Invalid request.\n\n"sha" wasn\'t supplied.')
    if current is not None and given != current.sha:
        raise errors.ApiError(409, f"{path} does not match {given}")
    blob = objects.write_blob(hub.git, content)
    tree = objects.build_tree(hub.git, hub.git.tree(tip), [objects.TreeEdit(path, "100644", blob)])
    author, committer = _identities(call)
    sha = hub.git.commit_tree(tree, [tip], message, author, committer)
    if not hub.git.update_ref(f"refs/heads/{branch}", sha, tip):
        raise errors.ApiError(409, f"is at {hub.git.branch(branch)} but expected {tip}")
    written, commit = hub.git.entry(sha, path), hub.git.commit(sha)
    assert written is not None
    assert commit is not None
    file = git.content(call.links, repository.Entry(written.path, written.sha, "file", written.size), branch)
    body = {"content": file, "commit": git.git_commit(call.links, commit)}
    return endpoint.Reply(201 if current is None else 200, body)
