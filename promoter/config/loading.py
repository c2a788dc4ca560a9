"""Load a config directory: ``DIR/promoter.yaml``, ``DIR/pipelines/*.yaml`` (or ``*.yml``) and the analysis
templates under ``DIR/analysis/`` (optional), and those the config repo keeps where promoter.yaml's
``analysis.templates_in_repo`` says (read by the caller, who has the repo).

A pipeline file holds one pipeline (a mapping with ``name``) or several (``pipelines: [...]``). The templates
are loaded first: the pipelines refer to them, and are validated with them at hand. Every problem in every
file is collected before :class:`ConfigError` is raised, each with its file, line, column and field; then
come the checks across files (pipeline names are unique). Warnings (valid, but likely not meant) are kept
on the :class:`Config`, or on the error when there are problems too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import pydantic
from ruamel.yaml.comments import CommentedMap

from promoter.config import analysis, documents, messages, models, settings
from promoter.config.analysis import ConfigWarning
from promoter.config.problems import ConfigError, Problem
from promoter.core import model

SETTINGS_FILE = "promoter.yaml"
PIPELINES_DIR = "pipelines"
_SUFFIXES = (".yaml", ".yml")

_M = TypeVar("_M", bound=pydantic.BaseModel)


@dataclasses.dataclass(frozen=True)
class Config:
    settings: settings.Settings
    pipelines: tuple[model.Pipeline, ...]
    # where each pipeline is written: its file, and the path to its mapping in that file
    sources: Mapping[str, tuple[documents.Document, tuple[int | str, ...]]] = dataclasses.field(default_factory=dict)
    warnings: tuple[ConfigWarning, ...] = ()  # in file and line order
    unread: str | None = None  # the config repo's templates, when they were not read (references unchecked)

    def pipeline(self, name: str) -> model.Pipeline:
        """The pipeline called ``name``; KeyError when there is none."""
        for pipeline in self.pipelines:
            if pipeline.name == name:
                return pipeline
        raise KeyError(name)

    def problem(self, pipeline: str, loc: tuple[int | str, ...], message: str) -> Problem | None:
        """A problem found later (by ``start``, ``plan``, ``validate``) at a field of a pipeline's config."""
        source = self.sources.get(pipeline)
        if source is None:
            return None
        document, at = source
        return document.problem((*at, *loc), message)


class RefusedConfig(ConfigError):
    """A :class:`ConfigError` that also carries the warnings found on the way, to show them with the problems."""

    def __init__(self, problems: Iterable[Problem], warnings: Iterable[ConfigWarning] = ()) -> None:
        super().__init__(problems)
        self.warnings = _ordered(warnings)


# Reads the texts of the templates the config repo keeps (``analysis.templates_in_repo``): each file's text by
# the name to show (``BRANCH:PATH``), or why they could not be read.
ReadRepoTemplates = Callable[[settings.Settings], Sequence[tuple[Path, str]] | str]


def load(directory: Path, repo: ReadRepoTemplates | None = None) -> Config:
    """The config in ``directory``; raise :class:`RefusedConfig` (a :class:`ConfigError`) listing every problem
    found. Templates kept in the config repo are read through ``repo``; without it (offline) a reference to a
    template not found in ``DIR/analysis/`` is left unchecked."""
    if not directory.is_dir():
        raise RefusedConfig([Problem(directory, None, None, "", f"not a directory (expected {SETTINGS_FILE} in it)")])
    problems: list[Problem] = []
    warnings: list[ConfigWarning] = []
    loaded = _settings(directory, problems)
    in_repo = loaded.analysis_templates_in_repo if loaded is not None else None
    extra: Sequence[tuple[Path, str]] = ()
    unread = None
    searched: tuple[str, ...] = ()
    if in_repo is not None and loaded is not None:
        searched = tuple(f"{in_repo.branch}:{path}" for path in in_repo.paths)
        read = repo(loaded) if repo is not None else None
        if read is None:
            unread = f"the config repo's templates ({', '.join(searched)}) were not read"
        elif isinstance(read, str):
            problems.append(Problem(directory / SETTINGS_FILE, None, None, "", read))
            unread = read  # what refers to them is not refused too: the reason is the reading
        else:
            extra = read
    catalog = analysis.load(
        directory / analysis.FOLDER, problems, warnings, extra, unread=unread, searched_too=searched
    )
    found = _pipelines(directory, problems, analysis.context(catalog))
    if problems:
        raise RefusedConfig(problems, warnings)
    assert loaded is not None
    return Config(
        settings=loaded,
        pipelines=tuple(f.pipeline for f in found),
        sources={f.pipeline.name: (f.document, f.loc) for f in found},
        warnings=_ordered(warnings),
        unread=unread,
    )


def _ordered(warnings: Iterable[ConfigWarning]) -> tuple[ConfigWarning, ...]:
    return tuple(sorted(warnings, key=lambda w: (str(w.file), w.line or 0)))


def _settings(directory: Path, problems: list[Problem]) -> settings.Settings | None:
    file = directory / SETTINGS_FILE
    if not file.is_file():
        problems.append(Problem(file, None, None, "", "missing: the global settings (forge, argocd, ...) go here"))
        return None
    document = documents.read(file)
    if isinstance(document, Problem):
        problems.append(document)
        return None
    parsed = _validate(document, models.SettingsFile, problems)
    return parsed.to_settings(directory) if parsed is not None else None


@dataclasses.dataclass(frozen=True)
class _Found:
    pipeline: model.Pipeline
    document: documents.Document
    loc: tuple[int | str, ...]  # where the pipeline's mapping is in its file


def _pipelines(directory: Path, problems: list[Problem], context: dict[str, object]) -> list[_Found]:
    folder = directory / PIPELINES_DIR
    if not folder.is_dir():
        problems.append(Problem(folder, None, None, "", "missing: a directory with one file per pipeline"))
        return []
    files = sorted(p for p in folder.iterdir() if p.suffix in _SUFFIXES and p.is_file() and not p.name.startswith("."))
    if not files:
        problems.append(Problem(folder, None, None, "", "no pipelines: add a file such as pipelines/NAME.yaml"))
        return []
    found: list[_Found] = []
    for file in files:
        document = documents.read(file)
        if isinstance(document, Problem):
            problems.append(document)
            continue
        found.extend(_pipelines_in(document, problems, context))
    problems.extend(_duplicates(found))
    return found


def _pipelines_in(document: documents.Document, problems: list[Problem], context: dict[str, object]) -> list[_Found]:
    if isinstance(document.root, CommentedMap) and models.PipelinesFile.model_fields.keys() & document.root.keys():
        several = _validate(document, models.PipelinesFile, problems, context)
        if several is None:
            return []
        return _checked(document, [(("pipelines", i), p) for i, p in enumerate(several.pipelines)], problems)
    one = _validate(document, models.PipelineModel, problems, context)
    return [] if one is None else _checked(document, [((), one)], problems)


def _checked(
    document: documents.Document,
    pipelines: list[tuple[tuple[int | str, ...], models.PipelineModel]],
    problems: list[Problem],
) -> list[_Found]:
    """The checks within one pipeline that pydantic cannot place on a field: stage names are unique."""
    for loc, pipeline in pipelines:
        first: dict[str, int] = {}
        for i, stage in enumerate(pipeline.stages):
            if stage.name in first:
                earlier = document.problem((*loc, "stages", first[stage.name], "name"), "")
                problems.append(
                    document.problem(
                        (*loc, "stages", i, "name"), f"stage {stage.name!r} is already defined at line {earlier.line}"
                    )
                )
            else:
                first[stage.name] = i
    return [_Found(p.to_pipeline(), document, loc) for loc, p in pipelines]


def _duplicates(found: list[_Found]) -> list[Problem]:
    problems: list[Problem] = []
    first: dict[str, Problem] = {}
    for f in found:
        here = f.document.problem((*f.loc, "name"), "")
        earlier = first.setdefault(f.pipeline.name, here)
        if earlier is not here:
            where = f"{earlier.file}:{earlier.line}:{earlier.column}"
            problems.append(
                dataclasses.replace(here, message=f"pipeline {f.pipeline.name!r} is also defined at {where}")
            )
    return problems


def _validate(
    document: documents.Document, schema: type[_M], problems: list[Problem], context: dict[str, object] | None = None
) -> _M | None:
    try:
        return schema.model_validate(document.data(), context=context)
    except pydantic.ValidationError as exc:
        for error in exc.errors():
            at_key = error["type"] in ("extra_forbidden", "invalid_key")  # about the key, not its value
            problems.append(document.problem(error["loc"], messages.message(error, schema), at_key=at_key))
        return None
