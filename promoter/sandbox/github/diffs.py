"""What changed between two commits, file by file, as GitHub's ``files`` lists show it.

Renames are not detected (``--no-renames``): a moved file shows as removed plus added, which is still
a true account of the change, just not GitHub's prettiest one.
"""

from __future__ import annotations

import dataclasses

from promoter.sandbox.github import gitcli, repository

_STATUS = {"A": "added", "D": "removed", "M": "modified", "T": "changed"}
_DIFF = ("diff", "--no-renames", "--no-color", "--no-ext-diff", "--abbrev=40")


@dataclasses.dataclass(frozen=True)
class FileChange:
    filename: str
    status: str
    sha: str | None
    additions: int
    deletions: int
    patch: str | None

    @property
    def changes(self) -> int:
        return self.additions + self.deletions


def changes(repo: repository.BareRepository, old: str, new: str) -> list[FileChange]:
    """The files that differ from ``old`` to ``new``, sorted by path as git sorts them."""
    counts = _numstat(repo, old, new)
    patches = _patches(repo, old, new)
    result = []
    for path, letter, new_sha in _raw(repo, old, new):
        added, deleted = counts.get(path, (0, 0))
        result.append(
            FileChange(
                filename=path,
                status=_STATUS.get(letter, "modified"),
                sha=None if new_sha == repository.ZERO else new_sha,
                additions=added,
                deletions=deleted,
                patch=patches.get(path),
            )
        )
    return result


def totals(repo: repository.BareRepository, old: str, new: str) -> tuple[int, int, int]:
    """(files changed, lines added, lines deleted) in one git call, for the pull request's counters."""
    counts = _numstat(repo, old, new)
    return len(counts), sum(a for a, _ in counts.values()), sum(d for _, d in counts.values())


def _fields(repo: repository.BareRepository, *args: str) -> list[str]:
    output = gitcli.run(repo.path, [*_DIFF, *args], timeout=repo.timeout).stdout
    return output.decode("utf-8", "replace").split("\0")


def _raw(repo: repository.BareRepository, old: str, new: str) -> list[tuple[str, str, str]]:
    """(path, status letter, new blob sha) per file; ``--raw -z`` alternates metadata and path."""
    fields = [field for field in _fields(repo, "--raw", "-z", old, new) if field]
    result = []
    for meta, path in zip(fields[::2], fields[1::2], strict=True):
        _, _, _, new_sha, letter = meta.lstrip(":").split()
        result.append((path, letter[0], new_sha))
    return result


def _numstat(repo: repository.BareRepository, old: str, new: str) -> dict[str, tuple[int, int]]:
    """Lines added and deleted per path; binary files ("-") count as none."""
    numbers = {}
    for field in _fields(repo, "--numstat", "-z", old, new):
        if field.count("\t") >= 2:
            added, deleted, path = field.split("\t", 2)
            numbers[path] = (int(added) if added.isdigit() else 0, int(deleted) if deleted.isdigit() else 0)
    return numbers


def _patches(repo: repository.BareRepository, old: str, new: str) -> dict[str, str]:
    """The hunks of each file's unified diff, without git's header lines, as GitHub's ``patch`` field."""
    output = gitcli.run(repo.path, [*_DIFF, "-U3", old, new], timeout=repo.timeout).stdout
    patches: dict[str, str] = {}
    path: str | None = None
    hunks: list[str] = []
    for line in output.decode("utf-8", "replace").splitlines():
        if line.startswith("diff --git "):
            _store(patches, path, hunks)
            path, hunks = None, []
        elif line.startswith(("--- a/", "+++ b/")) and not hunks:
            path = line[6:].removesuffix("\t")
        elif line.startswith("@@") or hunks:
            hunks.append(line)
    _store(patches, path, hunks)
    return patches


def _store(patches: dict[str, str], path: str | None, hunks: list[str]) -> None:
    if path is not None and hunks:
        patches[path] = "\n".join(hunks)
