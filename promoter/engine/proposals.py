"""A step's edits applied at the base branch's head, with the minimal-diff editor."""

from __future__ import annotations

from promoter.core import versions
from promoter.core.actions import FileChange
from promoter.core.model import ImageTarget, SetTarget, Stage
from promoter.core.snapshot import Proposal
from promoter.ports import ConfigRepo
from promoter.yamledit import editor, imageedit, paths
from promoter.yamledit.errors import EditError


def image_reference(image: str, version: str) -> str:
    """``repo:version``, or ``repo@sha256:...`` when the version is a digest."""
    return f"{image}@{version}" if versions.DIGEST.fullmatch(version) else f"{image}:{version}"


def propose(repo: ConfigRepo, stage: Stage, version: str, base_sha: str) -> Proposal:
    texts: dict[str, str] = {}
    originals: dict[str, str] = {}
    for index, target in enumerate(stage.targets):
        if target.file not in texts:
            text = repo.read(target.file, base_sha)
            if text is None:
                return Proposal(base_sha, (), f"{target.file}: not found on the base branch at {base_sha[:12]}", index)
            texts[target.file] = originals[target.file] = text
        try:
            texts[target.file] = _apply(target, texts[target.file], version)
        except EditError as exc:
            return Proposal(base_sha, (), f"cannot edit {exc.located(target.file)}", index)
    changes = tuple(FileChange(path, texts[path]) for path in texts if texts[path] != originals[path])
    return Proposal(base_sha, changes)


def _apply(target: ImageTarget | SetTarget, text: str, version: str) -> str:
    match target:
        case ImageTarget(file, image, container):
            request = imageedit.parse_request(image_reference(image, version), container)
            return imageedit.apply(text, request, file)
        case SetTarget(_, values, doc):
            edits = []
            for path, template in values:
                try:
                    segments = paths.parse(path)
                except paths.PathError as exc:
                    raise EditError(str(exc)) from None
                edits.append(editor.Edit(segments, template.replace("{version}", version), text=True, doc=doc))
            return editor.apply(text, edits)
