"""The config repository, through one persistent clone and the git command line (GitPython's ``repo.git``).

- One clone per config repo under the state directory; ``git fetch``, never a re-clone per change.
- A step's commit is written as git objects by promoter itself (:mod:`.gittrees`): the changed blobs, the
  trees on their paths, the commit; the trees read through one long-lived ``git cat-file --batch``. No
  checkout and no index, so it is fast on large repos, a crash leaves nothing half-done in a work tree, and
  file bytes are stored exactly.
- A revert is a real ``git revert`` in the clone's work tree, detached at the base branch's head.
- Pushes never force. A branch that already exists on the remote is respected, not overwritten: it is the
  bot's own branch from before a crash, or a person's commits on it; a branch without a commit of the
  promotion (by its ``Promoter-Promotion`` trailer) is someone else's, and is refused, never adopted.
- The trailers are read back (:meth:`GitRepo.trails`) when a lost store is rebuilt.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import os
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import git

from promoter.adapters import gittrees
from promoter.core.actions import FileChange
from promoter.core.history import Trail
from promoter.errors import PermanentError, TemporaryError
from promoter.ports import RevertResult

_TIMEOUT = 120


_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json", ".tpl", "Kustomization")


class GitRepo:
    def __init__(
        self,
        clone_url: str,
        path: Path,
        author: tuple[str, str],
        timeout: float = _TIMEOUT,
        token: Callable[[], str] | None = None,
    ) -> None:
        self.clone_url = clone_url
        self.path = path
        self._token = token
        self._author = author
        self._timeout = timeout
        self._repo: git.Repo | None = None
        self._format: str | None = None
        self._fetches = 0
        self._reading = threading.Lock()  # GitPython's persistent cat-file serves one question at a time

    # set-up ----------------------------------------------------------------------------------------

    @property
    def repo(self) -> git.Repo:
        if self._repo is None:
            self._repo = self._open()
        return self._repo

    def close(self) -> None:
        """Stop the long-lived ``git cat-file`` (opened again by the next read)."""
        with self._reading:
            if self._repo is not None:
                self._repo.close()
                self._repo = None

    def _open(self) -> git.Repo:
        if (self.path / ".git").is_dir():
            repo = git.Repo(self.path)
            if repo.remotes.origin.url != self.clone_url:
                repo.git.remote("set-url", "origin", self.clone_url)
            return repo
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return git.Repo.clone_from(self.clone_url, self.path, no_checkout=True, env=self._env())
        except git.GitCommandError as exc:
            raise _failure(f"cannot clone {self.clone_url}", _stderr(exc)) from None

    def _env(self) -> dict[str, str]:
        name, email = self._author
        env = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_TERMINAL_PROMPT": "0",
        }
        return env | credentials(self.clone_url, self._token() if self._token else None)

    def _git(self, *args: str, check: bool = True) -> str:
        try:
            out: str = self.repo.git.execute(
                ["git", *args],
                env=self._env(),
                kill_after_timeout=self._timeout,
                with_extended_output=False,
                strip_newline_in_stdout=True,
            )
        except git.GitCommandError as exc:
            if check:
                raise _failure(f"git {args[0]} failed", _stderr(exc)) from None
            return ""
        return out

    def _status(self, *args: str) -> int:
        """Run git for its exit status only."""
        try:
            self.repo.git.execute(["git", *args], env=self._env(), kill_after_timeout=self._timeout)
        except git.GitCommandError as exc:
            return int(exc.status) if isinstance(exc.status, int) else 1
        return 0

    # reading ---------------------------------------------------------------------------------------

    def fetch(self, base_branch: str) -> str:
        """Fetch every branch (pruning deleted ones); return the base branch's head."""
        self._fetch()
        head = self.branch_head(base_branch)
        if head is None:
            raise PermanentError(f"the base branch {base_branch!r} does not exist in {self.clone_url}")
        return head

    def _fetch(self) -> None:
        # Only what promoter reads: branch heads. No forced-update scan, no FETCH_HEAD, no tags, and no
        # automatic maintenance on the hot path: gc runs every 50 fetches instead.
        self._git(
            "-c", "maintenance.auto=false", "-c", "gc.auto=0",
            "fetch", "--quiet", "--prune", "--no-tags", "--no-show-forced-updates", "--no-write-fetch-head",
            "origin", "+refs/heads/*:refs/remotes/origin/*",
        )  # fmt: skip
        self._fetches += 1
        if self._fetches % 50 == 0:
            self._status("gc", "--auto", "--quiet")

    def read(self, path: str, ref: str) -> str | None:
        """The file's text at ``ref``; None if absent (or not UTF-8, which promoter never edits)."""
        found = self._object(f"{ref}:{path}")
        if found is None or found[0] != "blob":
            return None
        try:
            return found[1].decode("utf-8")  # (a file's final newline is part of its bytes)
        except UnicodeDecodeError:
            return None

    def _object(self, name: str) -> tuple[str, bytes] | None:
        """(type, bytes) of an object (``sha``, ``ref:path``) by the clone's long-lived ``git cat-file
        --batch`` (no process started per read: a step reads a file and the trees on its path); None if
        missing. git looks again for packs a fetch added when an object is not found."""
        with self._reading:
            try:
                _, kind, _, data = self.repo.git.get_object_data(name)
            except ValueError:  # "<name> missing"
                return None
        return os.fsdecode(kind), data  # (GitPython gives the type as bytes, whatever its annotation says)

    def files(self, commit: str) -> dict[str, str]:
        """Every manifest-like file at ``commit`` (YAML, JSON, Helm's ``.tpl``), read in one ``cat-file
        --batch``: what Argo CD reads of the repo, for finding its Applications and what they deploy."""
        listed = self._git("ls-tree", "-r", "-z", "--full-tree", commit)
        blobs: list[tuple[str, str]] = []
        for entry in listed.split("\0"):
            meta, _, path = entry.partition("\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob" and path.endswith(_MANIFEST_SUFFIXES):
                blobs.append((path, parts[2]))
        if not blobs:
            return {}
        try:
            out = subprocess.run(
                ["git", "cat-file", "--batch"],
                input="".join(f"{sha}\n" for _, sha in blobs).encode(),
                capture_output=True,
                cwd=self.repo.git_dir,
                env={**os.environ, **self._env()},
                timeout=self._timeout,
                check=True,
            ).stdout
        except (subprocess.SubprocessError, OSError) as exc:
            raise TemporaryError(f"git cat-file failed: {exc}") from None
        found: dict[str, str] = {}
        offset = 0
        for path, _ in blobs:
            header_end = out.index(b"\n", offset)
            size = int(out[offset:header_end].split()[2])
            body = out[header_end + 1 : header_end + 1 + size]
            offset = header_end + 1 + size + 1  # the body, then a newline
            with contextlib.suppress(UnicodeDecodeError):  # not text: Argo CD would not read it either
                found[path] = body.decode("utf-8")
        return found

    def branch_head(self, branch: str) -> str | None:
        """The remote branch's sha as of the last fetch, read from the ref files (no process started)."""
        ref = f"refs/remotes/origin/{branch}"
        git_dir = Path(self.repo.git_dir)
        with contextlib.suppress(FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return (git_dir / ref).read_text().strip() or None
        with contextlib.suppress(FileNotFoundError):
            for line in (git_dir / "packed-refs").read_text().splitlines():
                sha, _, name = line.partition(" ")
                if name == ref:
                    return sha
        return None

    def contains(self, descendant: str, ancestor: str) -> bool:
        status = self._status("merge-base", "--is-ancestor", ancestor, descendant)
        if status == 128:  # a commit we have not fetched yet
            self._fetch()
            status = self._status("merge-base", "--is-ancestor", ancestor, descendant)
        return status == 0

    # writing ---------------------------------------------------------------------------------------

    def commit_edit(
        self,
        branch: str,
        base_sha: str,
        changes: Sequence[FileChange],
        message: str,
        trailers: Sequence[tuple[str, str]],
    ) -> str:
        existing = self.branch_head(branch)
        if existing is not None:
            self._check_owner(branch, base_sha, trailers)
            return existing
        tree = self._tree_with(base_sha, changes)
        return self._push(self._commit(tree, base_sha, _with_trailers(message, trailers)), branch)

    def _tree_with(self, base_sha: str, changes: Sequence[FileChange]) -> str:
        """The root tree of ``base_sha`` with the changed files: only the trees on their paths are rewritten."""
        algorithm = self._object_format()
        width = hashlib.new(algorithm).digest_size
        blobs = {c.path: c.text.encode("utf-8") for c in changes}
        directories = sorted({d for path in blobs for d in gittrees.parents(path)})
        trees = self._read_trees(base_sha, directories, width)
        for path, data in blobs.items():
            directory, _, name = path.rpartition("/")
            old = next((e for e in trees[directory] if e.name == name), None)
            if old is not None and old.mode == gittrees.DIRECTORY:
                raise PermanentError(f"{path} is a directory in the config repo")
            mode = old.mode if old is not None else gittrees.FILE
            trees[directory] = [e for e in trees[directory] if e.name != name]
            trees[directory].append(gittrees.Entry(mode, name, gittrees.object_id("blob", data, algorithm)))
        bodies: dict[str, bytes] = {}
        for directory in sorted(directories, key=lambda d: d.count("/") + 1 if d else 0, reverse=True):  # deepest first
            bodies[directory] = gittrees.serialize(trees[directory])
            if directory:
                parent, _, name = directory.rpartition("/")
                oid = gittrees.object_id("tree", bodies[directory], algorithm)
                trees[parent] = [e for e in trees[parent] if e.name != name]
                trees[parent].append(gittrees.Entry(gittrees.DIRECTORY, name, oid))
        objects = os.path.join(self.repo.git_dir, "objects")
        for data in blobs.values():
            gittrees.write_loose(objects, "blob", data, algorithm)
        for directory in directories:
            gittrees.write_loose(objects, "tree", bodies[directory], algorithm)
        return gittrees.object_id("tree", bodies[""], algorithm).hex()

    def _commit(self, tree: str, parent: str, message: str) -> str:
        """Write the commit object (what ``git commit-tree`` does, without starting a process)."""
        name, email = self._author
        clean = "".join(c for c in name if c not in "<>\n") or "promoter"
        ident = f"{clean} <{email.strip('<>')}> {int(time.time())} +0000"
        objects = os.path.join(self.repo.git_dir, "objects")
        return gittrees.write_loose(
            objects, "commit", gittrees.commit_body(tree, parent, ident, message), self._object_format()
        )

    def _read_trees(self, base_sha: str, directories: list[str], width: int) -> dict[str, list[gittrees.Entry]]:
        """Each directory's entries at ``base_sha`` (empty for a directory that does not exist yet)."""
        trees: dict[str, list[gittrees.Entry]] = {}
        for directory in directories:
            found = self._object(f"{base_sha}:{directory}" if directory else f"{base_sha}^{{tree}}")
            if found is None:
                trees[directory] = []
            elif found[0] != "tree":
                raise PermanentError(f"{directory} is a file in the config repo, not a directory")
            else:
                trees[directory] = gittrees.parse(found[1], width)
        return trees

    def _object_format(self) -> str:
        if self._format is None:
            self._format = self._git("rev-parse", "--show-object-format") or "sha1"
        return self._format

    def revert(
        self,
        branch: str,
        base_branch: str,
        merge_shas: Sequence[str],
        message: str,
        trailers: Sequence[tuple[str, str]],
    ) -> RevertResult:
        existing = self.branch_head(branch)
        if existing is not None:
            self._check_owner(branch, f"refs/remotes/origin/{base_branch}", trailers)
            return RevertResult(existing)
        head = self.branch_head(base_branch)
        if head is None:
            raise PermanentError(f"the base branch {base_branch!r} does not exist in {self.clone_url}")
        fast = self._revert_untouched(head, merge_shas, message, trailers)
        if fast is not None:
            return RevertResult(self._push(fast, branch) if fast != head else None)
        return self._revert_in_work_tree(branch, base_branch, merge_shas, message, trailers)

    def _revert_in_work_tree(
        self,
        branch: str,
        base_branch: str,
        merge_shas: Sequence[str],
        message: str,
        trailers: Sequence[tuple[str, str]],
    ) -> RevertResult:
        """``git revert`` of each merge, newest first, one commit each; at the first conflict, what applies is
        committed with the later commits' version of each conflicting file, and the rest is left to a person."""
        self._clean_work_tree()
        self._git("checkout", "--quiet", "--force", "--detach", f"refs/remotes/origin/{base_branch}")
        start = self._git("rev-parse", "HEAD")
        conflicts: tuple[str, ...] = ()
        for sha in merge_shas:
            parents = self._git("rev-list", "--parents", "-n", "1", sha).split()[1:]
            mainline = ["-m", "1"] if len(parents) > 1 else []
            if self._status("revert", "--no-commit", *mainline, sha) != 0:
                conflicts = tuple(self._git("diff", "--name-only", "--diff-filter=U").splitlines())
                if not conflicts:
                    self._clean_work_tree()
                    raise TemporaryError(f"git revert of {sha[:12]} failed without conflicts")
                # Keep the later commits' version of each conflicting file: the PR carries the rest of the
                # revert and a person finishes it. Nothing is forced, nothing rewritten.
                self._git("checkout", "--quiet", "HEAD", "--", *conflicts)
            if not conflicts and not self._git("diff", "--cached", "--name-only"):
                continue  # this one is undone on the base branch already
            text = f"{message}\n\nReverts {sha}."
            if conflicts:
                listed = "\n".join(f"- {path}" for path in conflicts)
                text += f"\n\nThe revert conflicts with later commits in:\n{listed}\nFinish it by hand on this branch."
            # --allow-empty: when every change conflicts, the PR still opens as the place to finish it.
            self._git("commit", "--quiet", "--no-verify", "--allow-empty", "-m", _with_trailers(text, trailers))
            if conflicts:
                break
        commit = self._git("rev-parse", "HEAD")
        self._clean_work_tree()
        if commit == start:
            return RevertResult(None)  # already undone on the base branch
        return RevertResult(self._push(commit, branch), conflicts)

    def _revert_untouched(
        self, head: str, merge_shas: Sequence[str], message: str, trailers: Sequence[tuple[str, str]]
    ) -> str | None:
        """The revert commits when nothing but these merges touched their files, without a work tree; else None.

        Then reverting a merge is taking each of its files back to its version before the merge: the same
        result as ``git revert``, in a few milliseconds instead of a checkout. Newest first, each merge's files
        must be, at the tip so far, exactly what that merge left. Anything else (a person's edit in between,
        an added or removed file) goes through ``git revert`` itself. Returns ``head`` when nothing was left to
        revert.
        """
        tip = head
        for sha in merge_shas:
            parents = self._git("rev-list", "--parents", "-n", "1", sha).split()[1:]
            if not parents:
                return None
            before = parents[0]
            changed = [
                line.split("\t")
                for line in self._git("diff", "--no-renames", "--name-status", before, sha).splitlines()
            ]
            if any(status != "M" for status, *_ in changed):
                return None
            paths = [path for _, path in changed]
            if not paths:
                continue
            now = self._git("rev-parse", *(f"{tip}:{p}" for p in paths), check=False).split()
            then = self._git("rev-parse", *(f"{sha}:{p}" for p in paths), check=False).split()
            if len(now) != len(paths) or now != then:
                return None
            changes = []
            for path in paths:
                text = self.read(path, before)
                if text is None:
                    return None
                changes.append(FileChange(path, text))
            tree = self._tree_with(tip, changes)
            tip = self._commit(tree, tip, _with_trailers(f"{message}\n\nReverts {sha}.", trailers))
        return tip

    def candidates(self, commit: str, name: str) -> list[str]:
        """YAML files at ``commit`` whose text holds ``name`` (``git grep``: no checkout, fast on large repos)."""
        listed = self._git("grep", "-l", "-F", "-e", name, commit, "--", "*.yaml", "*.yml", check=False)
        prefix = f"{commit}:"
        return sorted(line.removeprefix(prefix) for line in listed.splitlines() if line)

    def _check_owner(self, branch: str, base: str, trailers: Sequence[tuple[str, str]]) -> None:
        """The existing branch must hold a commit of this promotion's step (its trailers), off the base."""
        wanted = dict(trailers)
        log = self._git("log", "--format=" + _TRAILER_FORMAT, f"refs/remotes/origin/{branch}", "--not", base, "--")
        for record in filter(None, log.split(_RECORD)):
            found = _trailers(record)
            if found is not None and all(found.get(k) == v for k, v in wanted.items()):
                return
        raise PermanentError(
            f"the branch {branch} exists and holds no commit of {wanted.get('Promoter-Promotion', 'this promotion')} "
            f"step {wanted.get('Promoter-Step', '?')}; promoter never adopts another promotion's branch"
        )

    def trails(self, base_branch: str, pipeline: str) -> list[Trail]:
        """Commits with the pipeline's trailers: merged (on the base branch), and on promoter's own branches."""
        base = f"refs/remotes/origin/{base_branch}"
        found: list[Trail] = []
        merged = self._git(
            "log", "--format=" + _TRAILER_FORMAT, "-F", f"--grep=Promoter-Promotion: {pipeline}/", base, "--"
        )
        unmerged = self._git(
            "log",
            "--format=" + _TRAILER_FORMAT,
            f"--glob=refs/remotes/origin/promoter/{pipeline}/*",
            "--not",
            base,
            "--",
        )
        for text, on_base in ((merged, True), (unmerged, False)):
            for record in filter(None, text.split(_RECORD)):
                trail = _trail(record, pipeline, on_base)
                if trail is not None:
                    found.append(trail)
        return found

    def _push(self, commit: str, branch: str) -> str:
        if self._status("push", "--quiet", "origin", f"{commit}:refs/heads/{branch}") != 0:
            # The branch appeared meanwhile (another replica, or a push that landed before a crash).
            self._fetch()
            head = self.branch_head(branch)
            if head is None:
                raise TemporaryError(f"git push of {branch} was refused")
            return head
        return commit  # the next fetch records the remote branch

    def _clean_work_tree(self) -> None:
        """Undo whatever a crash left in the work tree (a half-done revert, a stale lock)."""
        lock = Path(self.repo.git_dir) / "index.lock"
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()
        self._status("revert", "--abort")
        self._status("reset", "--quiet", "--hard")


def remote_branches(clone_url: str, token: str | None, timeout: float = 20) -> set[str]:
    """The branch names of the remote (``git ls-remote --heads``); TemporaryError when it cannot be reached."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", **credentials(clone_url, token)}
    try:
        listed = subprocess.run(
            ["git", "ls-remote", "--heads", clone_url],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise TemporaryError(f"git ls-remote {clone_url} timed out after {timeout:.0f}s") from None
    if listed.returncode != 0:
        raise _failure(f"git ls-remote {clone_url} failed", listed.stderr.strip()[:300])
    return {line.split("\t", 1)[1].removeprefix("refs/heads/") for line in listed.stdout.splitlines() if "\t" in line}


# How git (OpenSSL's build, GnuTLS's) says that it refused the server's certificate.
_REFUSED_CERTIFICATE = ("SSL certificate problem", "server certificate verification failed")


def _failure(what: str, stderr: str) -> PermanentError | TemporaryError:
    """A failed git command as the bot judges it: a refused certificate is permanent (no retry makes it
    trusted), naming the fix; anything else may pass (the remote down, a network glitch)."""
    if any(sign in stderr for sign in _REFUSED_CERTIFICATE):
        reason = stderr.rsplit(": ", 1)[-1].split(". CAfile", maxsplit=1)[0]
        return PermanentError(
            f"{what}: the server's certificate was refused ({reason}): for a private CA, point $GIT_SSL_CAINFO "
            "at its certificates"
        )
    return TemporaryError(f"{what}: {stderr}")


def credentials(clone_url: str, token: str | None) -> dict[str, str]:
    """The token as an HTTP header for git, passed through the environment (``GIT_CONFIG_*``, git 2.31+):
    never written to the clone's config and never visible in the process list. GitHub accepts
    ``x-access-token:<token>`` for personal and installation tokens alike."""
    if not token or not clone_url.startswith("https://"):
        return {}
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"http.{clone_url.split('/', 3)[0]}//{clone_url.split('/', 3)[2]}/.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
    }


_FIELD, _RECORD = "\x1f", "\x1e"
_KEYS = ("Promoter-Promotion", "Promoter-Version", "Promoter-Step")
# sha, committer time, then each trailer's value: one record per commit
_TRAILER_FORMAT = (
    "%x1f".join(["%H", "%ct", *(f"%(trailers:key={key},valueonly,separator=%x2C)" for key in _KEYS)]) + "%x1e"
)


def _trailers(record: str) -> dict[str, str] | None:
    fields = record.strip("\n").split(_FIELD)
    if len(fields) != 2 + len(_KEYS):
        return None
    return {"sha": fields[0], "at": fields[1]} | {
        key: value.strip() for key, value in zip(_KEYS, fields[2:], strict=True)
    }


def _trail(record: str, pipeline: str, merged: bool) -> Trail | None:
    """One commit's trailers as a :class:`Trail`, or None if they are not the pipeline's (or not whole)."""
    found = _trailers(record)
    if found is None:
        return None
    owner, _, promotion = found["Promoter-Promotion"].partition("/")
    stage, _, index = found["Promoter-Step"].partition("-")  # <stage>-<item>, or <stage>-revert
    revert = index == "revert"
    if owner != pipeline or not promotion or not stage.isdigit() or not (index.isdigit() or revert):
        return None
    return Trail(
        sha=found["sha"],
        promotion=promotion,
        version=found["Promoter-Version"],
        stage=int(stage),
        step=0 if revert else int(index),
        revert=revert,
        merged=merged,
        at=dt.datetime.fromtimestamp(int(found["at"]), dt.UTC),
    )


def _with_trailers(message: str, trailers: Sequence[tuple[str, str]]) -> str:
    lines = "\n".join(f"{key}: {value}" for key, value in trailers)
    return f"{message.rstrip()}\n\n{lines}\n" if trailers else message


def _stderr(exc: git.GitCommandError) -> str:
    text = str(exc.stderr or exc).strip()
    return text.removeprefix("stderr:").strip().strip("'")[:500]
