"""Git data over REST: refs (read, create, move, delete), commits, file contents and comparisons."""

from __future__ import annotations

from starlette.routing import Route

from promoter.sandbox.github import diffs, endpoint, errors, lifecycle, repository
from promoter.sandbox.github.accounts import Role
from promoter.sandbox.github.payloads import git

REPO = "/repos/{owner}/{repo}"


def routes() -> list[Route]:
    return [
        endpoint.route("GET", f"{REPO}/git/ref/{{ref}}", get_ref),
        endpoint.route("GET", f"{REPO}/git/matching-refs/{{ref}}", matching_refs),
        endpoint.route("POST", f"{REPO}/git/refs", create_ref),
        endpoint.route("PATCH", f"{REPO}/git/refs/{{ref}}", update_ref),
        endpoint.route("DELETE", f"{REPO}/git/refs/{{ref}}", delete_ref),
        endpoint.route("GET", f"{REPO}/git/refs/{{ref}}", get_ref),
        endpoint.route("GET", f"{REPO}/git/commits/{{commit_sha}}", get_git_commit),
        endpoint.route("GET", f"{REPO}/contents/{{path}}", get_contents),
        endpoint.route("GET", f"{REPO}/compare/{{basehead}}", compare),
        endpoint.route("GET", f"{REPO}/commits/{{ref}}", get_commit),
    ]


def _qualified(ref: str) -> str:
    """``heads/main`` as the API spells it, ``refs/heads/main`` as git does."""
    return ref if ref.startswith("refs/") else f"refs/{ref}"


def _find(call: endpoint.Call, ref: str) -> repository.Ref | None:
    name = _qualified(ref)
    return next((found for found in call.forge.git.refs(name) if found.name == name), None)


def get_ref(call: endpoint.Call) -> endpoint.Reply:
    found = _find(call, call.params["ref"])
    if found is None:
        raise errors.not_found()
    return endpoint.Reply(200, git.ref(call.links, found))


def matching_refs(call: endpoint.Call) -> endpoint.Reply:
    """Refs whose name starts with the given text (``heads/promoter/`` lists the bot's branches)."""
    prefix = _qualified(call.params["ref"])
    found = [ref for ref in call.forge.git.refs() if ref.name.startswith(prefix)]
    return endpoint.Reply(200, [git.ref(call.links, ref) for ref in found])


def _object(call: endpoint.Call) -> str:
    sha = call.field("sha")
    if not sha:
        raise errors.invalid("Reference", "sha", "missing_field")
    if call.forge.git.object_kind(sha) is None:
        raise errors.unprocessable("Object does not exist")
    return str(sha)


def create_ref(call: endpoint.Call) -> endpoint.Reply:
    call.require(Role.WRITE)
    hub = call.forge
    ref = call.field("ref")
    if not ref:
        raise errors.invalid("Reference", "ref", "missing_field")
    if not ref.startswith("refs/") or ref.count("/") < 2 or not hub.git.valid_ref_name(ref):
        raise errors.unprocessable("Reference name is not valid")
    sha = _object(call)
    if not hub.git.update_ref(ref, sha, repository.ZERO):
        raise errors.unprocessable("Reference already exists")
    found = _find(call, ref)
    assert found is not None
    return endpoint.Reply(201, git.ref(call.links, found), {"Location": call.links.ref(ref)})


def update_ref(call: endpoint.Call) -> endpoint.Reply:
    """Moves a ref; without ``force`` only forward (the new commit must contain the old one)."""
    call.require(Role.WRITE)
    hub = call.forge
    current = _find(call, call.params["ref"])
    if current is None:
        raise errors.unprocessable("Reference does not exist")
    sha = _object(call)
    force = call.field("force", bool, False)
    if not force and not (hub.git.object_kind(sha) == "commit" and hub.git.is_ancestor(current.sha, sha)):
        raise errors.unprocessable("Update is not a fast forward")
    if not hub.git.update_ref(current.name, sha, current.sha):
        raise errors.unprocessable("Reference cannot be updated")
    found = _find(call, current.name)
    assert found is not None
    return endpoint.Reply(200, git.ref(call.links, found))


def delete_ref(call: endpoint.Call) -> endpoint.Reply:
    """Deleting a branch closes the open pull requests that come from or go into it, as on GitHub."""
    call.require(Role.WRITE)
    hub = call.forge
    current = _find(call, call.params["ref"])
    if current is None:
        raise errors.unprocessable("Reference does not exist")
    if current.name == f"refs/heads/{hub.default_branch}":
        raise errors.unprocessable("Cannot delete the default branch")
    if not hub.git.delete_ref(current.name, current.sha):
        raise errors.unprocessable("Reference cannot be updated")
    if current.name.startswith("refs/heads/"):
        lifecycle.branch_deleted(hub, current.name.removeprefix("refs/heads/"), call.user.login)
    return endpoint.Reply(204)


def get_git_commit(call: endpoint.Call) -> endpoint.Reply:
    found = call.forge.git.commit(call.params["commit_sha"])
    if found is None:
        raise errors.not_found()
    return endpoint.Reply(200, git.git_commit(call.links, found))


def get_contents(call: endpoint.Call) -> endpoint.Reply:
    """A file (base64) or a directory listing at ``ref`` (the default branch when omitted)."""
    hub = call.forge
    ref = call.query.get("ref") or hub.default_branch
    sha = hub.git.resolve(ref)
    if sha is None:
        raise errors.ApiError(404, f"No commit found for the ref {ref}")
    entry = hub.git.entry(sha, call.params["path"])
    if entry is None:
        raise errors.not_found()
    if entry.kind != "dir":
        return endpoint.Reply(200, git.content(call.links, entry, ref))
    listing = hub.git.listing(entry.sha, entry.path)
    return endpoint.Reply(200, [git.content(call.links, item, ref) for item in listing])


def compare(call: endpoint.Call) -> endpoint.Reply:
    """``base...head``: how far head is ahead of and behind base, its commits and changed files."""
    hub = call.forge
    basehead = call.params["basehead"]
    base_rev, dots, head_rev = basehead.partition("...")
    if not dots:
        base_rev, dots, head_rev = basehead.partition("..")
    base, head = hub.git.resolve(base_rev), hub.git.resolve(head_rev)
    if not dots or base is None or head is None:
        raise errors.not_found()
    merge_base = hub.git.merge_base(base, head)
    if merge_base is None:
        raise errors.not_found()
    base_commit, merge_base_commit = hub.git.commit(base), hub.git.commit(merge_base)
    assert base_commit is not None
    assert merge_base_commit is not None
    body = git.comparison(
        hub,
        call.links,
        basehead,
        base=base_commit,
        merge_base=merge_base_commit,
        commits=hub.git.commits(base, head, limit=250),
        behind_by=hub.git.count(head, base),
        ahead_by=hub.git.count(base, head),
        files=diffs.changes(hub.git, merge_base, head),
        head_sha=head,
    )
    return endpoint.Reply(200, body)


def get_commit(call: endpoint.Call) -> endpoint.Reply:
    """A commit with its stats and files (against its first parent)."""
    hub = call.forge
    sha = hub.git.resolve(call.params["ref"])
    found = hub.git.commit(sha) if sha else None
    if found is None:
        raise errors.ApiError(422 if sha is None else 404, f"No commit found for SHA: {call.params['ref']}")
    parent = found.parents[0] if found.parents else _EMPTY_TREE
    return endpoint.Reply(200, git.commit(hub, call.links, found, diffs.changes(hub.git, parent, found.sha)))


_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
