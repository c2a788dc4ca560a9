"""Analysis templates: Argo Rollouts' ``AnalysisTemplate`` and ``ClusterAnalysisTemplate`` read as written.

Every ``*.yaml`` / ``*.yml`` file under ``DIR/analysis/`` (any depth, several documents a file) is read; its
documents of other kinds (a Rollout, a Service next to the template) are ignored. A template's fields are
Argo Rollouts' (``apiVersion: argoproj.io/v1alpha1``, ``metadata.name``, ``spec.args``, ``spec.metrics``,
``spec.dryRun``, ``spec.measurementRetention``), with the Prometheus provider only (``address``, ``query``,
``timeout`` in seconds, ``headers``, ``insecure``). An argument is ``{name, value}`` (``value`` may be left
for where the template is used) or ``{name, valueFrom: {secretKeyRef: {name, key}}}``.

promoter's own fields live under ``promoter:`` keys: in a metric ``{baseline: QUERY, traffic: {query,
minimum}, empty: Inconclusive|Failed|Successful, judge: {direction, tolerance, confidence, weight,
critical}}``, in the spec ``{score: {pass, marginal}}``. A template with such keys is promoter's, not Argo
Rollouts': its CRD does not know them (the API server drops or refuses unknown fields).

The documents' models are :mod:`.rollouts`; conditions are parsed there (:func:`promoter.core.conditions.parse`),
so a bad one is refused at its line and column. Besides problems, a load gives warnings: what is valid but
likely not meant (:class:`ConfigWarning`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic
from pydantic_core import ErrorDetails

from promoter.config import documents, messages
from promoter.config.problems import Problem
from promoter.config.templatekinds import KINDS, Loc
from promoter.core import conditions
from promoter.core.templates import Template

if TYPE_CHECKING:
    from promoter.config.rollouts import TemplateModel

FOLDER = "analysis"  # DIR/analysis/
_SUFFIXES = (".yaml", ".yml")
EMPTY_PASSES = (
    "successCondition passes when the query returns nothing (the canary took no traffic): promoter treats an "
    "empty result as Inconclusive unless the template says `empty:`; drop `len(result) == 0 ||`"
)
NAN_PASSES = (
    "successCondition passes when the query returns NaN (no requests: 0/0): promoter treats a NaN result as "
    "Inconclusive unless the template says `empty:`; drop the NaN test"
)


@dataclasses.dataclass(frozen=True)
class ConfigWarning:
    """Valid, but likely not what was meant: shown by ``promoter validate``, never a refusal."""

    file: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line is not None else f"{self.file}: {self.message}"


@dataclasses.dataclass(frozen=True)
class Catalog:
    """The templates loaded, and the names of those refused (a reference to one is not a problem of its own:
    the template's problems are reported)."""

    templates: tuple[Template, ...] = ()
    refused: frozenset[tuple[bool, str]] = frozenset()  # (cluster, name)
    # Set when the config repo holds templates that were not read (``validate --offline``, ``status``): a
    # reference to a template not found may be to one of them, so it is not refused; this says where they are.
    unread: str | None = None
    searched: str = f"{FOLDER}/"  # where templates were looked for, to say so when a name is not found

    def find(self, name: str, *, cluster: bool) -> Template | None:
        return next((t for t in self.templates if t.name == name and t.cluster == cluster), None)

    def is_refused(self, name: str, *, cluster: bool) -> bool:
        return (cluster, name) in self.refused

    def names(self, *, cluster: bool) -> list[str]:
        """Every template of the kind, refused ones too (they exist: their problems are reported)."""
        loaded = {t.name for t in self.templates if t.cluster == cluster}
        return sorted(loaded | {name for scope, name in self.refused if scope == cluster})


# The pipelines are validated with the catalog in pydantic's context, so a reference is resolved (or refused
# at its line) while the file is validated.
_CONTEXT_KEY = "analysis-templates"


def context(catalog: Catalog) -> dict[str, object]:
    return {_CONTEXT_KEY: catalog}


def catalog_of(validation_context: object) -> Catalog:
    found = validation_context.get(_CONTEXT_KEY) if isinstance(validation_context, dict) else None
    return found if isinstance(found, Catalog) else Catalog()


# loading ------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Read:
    """One template document: where it is, its text (for columns inside scalars) and what it became."""

    document: documents.Document
    lines: tuple[str, ...]
    kind: str
    name: str | None  # when it can be told, even from a refused template


def load(
    folder: Path,
    problems: list[Problem],
    warnings: list[ConfigWarning],
    extra: Sequence[tuple[Path, str]] = (),
    *,
    unread: str | None = None,
    searched_too: Sequence[str] = (),
) -> Catalog:
    """The templates in ``folder`` (none when it does not exist) and in ``extra`` (texts read elsewhere, from
    the config repo, by the name to show: ``BRANCH:PATH``; ``searched_too`` names where those were looked for);
    their problems and warnings are appended."""
    texts: list[tuple[Path, str] | Problem] = []
    for file in _files(folder) if folder.is_dir() else []:
        content = documents.read_text(file)
        texts.append(content if isinstance(content, Problem) else (file, content))
    texts.extend(extra)
    loaded: list[tuple[_Read, Template]] = []
    refused: set[tuple[bool, str]] = set()
    for entry in texts:
        read = entry if isinstance(entry, Problem) else _read_all(*entry)
        if isinstance(read, Problem):
            problems.append(read)
            continue
        for item in read:
            template = _template(item, problems, warnings)
            if template is not None:
                loaded.append((item, template))
            elif item.name is not None:
                refused.add((KINDS[item.kind], item.name))
    problems.extend(_duplicates(loaded))
    searched = f"{folder.name}/" + "".join(f" or {p}" for p in searched_too)
    return Catalog(tuple(t for _, t in loaded), frozenset(refused), unread, searched)


def _files(folder: Path) -> list[Path]:
    found = (p for p in folder.rglob("*") if p.suffix in _SUFFIXES and p.is_file())
    return sorted(p for p in found if not any(part.startswith(".") for part in p.relative_to(folder).parts))


def holds_templates(text: str) -> bool:
    """Whether a text may hold a template (cheap, before parsing a repo's files)."""
    return any(f"kind: {kind}" in text or f'"kind": "{kind}"' in text for kind in KINDS)


def _read_all(file: Path, text: str) -> list[_Read] | Problem:
    """The template documents of ``file`` (other kinds left out), or the problem that stops it from being read."""
    roots = documents.load_all(file, text)
    if isinstance(roots, Problem):
        return roots
    lines = tuple(text.splitlines())
    read: list[_Read] = []
    for root in roots:
        kind = root.get("kind") if isinstance(root, dict) else None
        if isinstance(kind, str) and kind in KINDS:
            metadata = root.get("metadata")
            name = metadata.get("name") if isinstance(metadata, dict) else None
            read.append(_Read(documents.Document(file, root), lines, kind, name if isinstance(name, str) else None))
    return read


def _template(read: _Read, problems: list[Problem], warnings: list[ConfigWarning]) -> Template | None:
    from promoter.config.rollouts import TemplateModel  # noqa: PLC0415  (here: only a config with templates pays)

    document = read.document
    try:
        model = TemplateModel.model_validate(document.data())
    except pydantic.ValidationError as exc:
        for error in exc.errors():
            problems.append(_problem(read, error))
        return None
    found = _repeated(
        document, "metric", [(("spec", "metrics", i, "name"), m.name) for i, m in enumerate(model.spec.metrics)]
    )
    found += _repeated(
        document, "argument", [(("spec", "args", i, "name"), a.name) for i, a in enumerate(model.spec.args)]
    )
    if found:
        problems.extend(found)
        return None
    warnings.extend(_warnings(document, model))
    return model.to_template(document)


# About the key, not its value: an unknown key, and the keys of Argo Rollouts' that promoter refuses (a provider,
# an authentication, ...), whose values may be whole mappings on the lines below.
_AT_KEY = frozenset(
    ("extra_forbidden", "invalid_key", "provider", "authentication", "range_query", "value_from", "limit")
)


def _problem(read: _Read, error: ErrorDetails) -> Problem:
    from promoter.config.rollouts import TemplateModel  # noqa: PLC0415  (imported already: a template failed)

    document = read.document
    at_key = error["type"] in _AT_KEY
    problem = document.problem(error["loc"], messages.message(error, TemplateModel), at_key=at_key)
    offset = (error.get("ctx") or {}).get("offset")
    value = _value_at(document.root, error["loc"])
    if isinstance(offset, int) and isinstance(value, str) and problem.line is not None and problem.column is not None:
        place = _at_offset(read.lines, problem.line, problem.column, value, offset)
        if place is not None:
            return dataclasses.replace(problem, line=place[0], column=place[1])
    return problem


def _value_at(root: object, loc: Loc) -> object:
    node = root
    for step in loc:
        if isinstance(node, dict):
            node = node.get(step)  # missing: None, which ends the walk at the next step
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            return None
    return node


def _at_offset(lines: tuple[str, ...], line: int, column: int, text: str, offset: int) -> tuple[int, int] | None:
    """The 1-based line and column of ``text[offset]``, for the scalar whose value starts at ``line:column``;
    None when its style hides the place (escapes, folded or multi-line plain scalars)."""
    if not 0 < line <= len(lines):
        return None
    row = lines[line - 1]
    start = column - 1
    indicator = row[start : start + 1]
    if indicator in ("|", ">"):
        body = text.rstrip("\n").split("\n")  # the final line break (or several, with |+) is no content line
        if indicator == ">" and len(body) > 1:
            return None  # folded: the lines of the file are not the lines of the text
        content = lines[line : line + len(body)]
        indents = [len(r) - len(r.lstrip(" ")) for r in content if r.strip()]
        if not indents:
            return None
        indent = min(indents)
        k = text.count("\n", 0, offset)
        within = offset - (text.rfind("\n", 0, offset) + 1)
        if k < len(content) and content[k][indent : indent + len(body[k])] == body[k]:
            return line + 1 + k, indent + within + 1
        return None
    quote = 1 if indicator in ("'", '"') else 0
    if "\n" not in text and row[start + quote : start + quote + len(text)] == text:
        return line, column + quote + offset
    return None


def _repeated(document: documents.Document, what: str, named: list[tuple[Loc, str]]) -> list[Problem]:
    """A problem at each name given before in the same template (metric or argument names)."""
    problems: list[Problem] = []
    first: dict[str, Loc] = {}
    for loc, name in named:
        if name in first:
            earlier = document.problem(first[name], "")
            problems.append(document.problem(loc, f"{what} {name!r} is already defined at line {earlier.line}"))
        else:
            first[name] = loc
    return problems


def _duplicates(loaded: list[tuple[_Read, Template]]) -> list[Problem]:
    """Template names are unique per kind (a reference names a template, not its file or namespace)."""
    problems: list[Problem] = []
    first: dict[tuple[bool, str], Problem] = {}
    for read, template in loaded:
        here = read.document.problem(("metadata", "name"), "")
        earlier = first.setdefault((template.cluster, template.name), here)
        if earlier is not here:
            where = f"{earlier.file}:{earlier.line}:{earlier.column}"
            message = f"{read.kind} {template.name!r} is also defined at {where}"
            problems.append(dataclasses.replace(here, message=message))
    return problems


# warnings -----------------------------------------------------------------------------------------

_NOTHING: tuple[tuple[Mapping[str, Any], str], ...] = (
    ({"result": ()}, EMPTY_PASSES),
    ({"result": (math.nan,)}, NAN_PASSES),
    ({"result": math.nan}, NAN_PASSES),
)


def _warnings(document: documents.Document, model: TemplateModel) -> Iterator[ConfigWarning]:
    """A successCondition that passes on an empty (or NaN) result: no traffic would pass the canary.

    Only where the template does not say what an empty result means (``empty:``); a probe that cannot be
    evaluated (the condition needs a baseline, say) is no warning."""
    for i, metric in enumerate(model.spec.metrics):
        if metric.success_condition is None or metric.promoter.empty is not None:
            continue
        condition = conditions.parse(metric.success_condition)
        for variables, message in _NOTHING:
            try:
                passes = conditions.evaluate(condition, variables)
            except conditions.EvaluationError:
                continue
            if passes:
                where = document.problem(("spec", "metrics", i, "successCondition"), "")
                yield ConfigWarning(document.file, where.line, message)
                break
