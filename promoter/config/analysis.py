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

Conditions are parsed here (:func:`promoter.core.conditions.parse`), so a bad one is refused at its line and
column. Besides problems, a load gives warnings: what is valid but likely not meant (:class:`ConfigWarning`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import pydantic
from pydantic import Field, PlainValidator, field_validator, model_validator
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError, ValidationError

from promoter.config import documents, durations, fields, messages
from promoter.config.problems import Problem
from promoter.core import conditions, templates
from promoter.core.templates import Template

FOLDER = "analysis"  # DIR/analysis/
KINDS = {"AnalysisTemplate": False, "ClusterAnalysisTemplate": True}  # kind -> cluster scope
_SUFFIXES = (".yaml", ".yml")
# Argo Rollouts' other metric providers: named in the refusal, so that it is not an unknown key.
_OTHER_PROVIDERS = (
    "web",
    "job",
    "datadog",
    "newRelic",
    "wavefront",
    "kayenta",
    "cloudWatch",
    "graphite",
    "influxdb",
    "skywalking",
    "plugin",
)
_PLACEHOLDER = re.compile(r"\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}")
PROMETHEUS_ONLY = "promoter reads metrics from Prometheus only"
OUTSIDE = "promoter runs outside the cluster: pass the value as an arg where the template is used, e.g. {{canary}}"
NO_ARGUMENTS = "promoter fills arguments into queries and header values only: write the value itself"
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


# values -------------------------------------------------------------------------------------------

_Loc = tuple[int | str, ...]
# (loc relative to the model, kind, reason, offset in the scalar or None)
_Refusal = tuple[_Loc, str, str, int | None]


def _refuse(kind: str, reason: str, offset: int | None = None) -> PydanticCustomError:
    """Like :func:`fields.refuse`; an offset (0-based, in the scalar's text) places the column exactly."""
    details: dict[str, object] = {"reason": reason}
    if offset is not None:
        details["offset"] = offset
    return PydanticCustomError(kind, "{reason}", details)


def _refuse_at(model: type[pydantic.BaseModel], errors: list[_Refusal]) -> None:
    if errors:
        details = [
            InitErrorDetails(type=_refuse(kind, reason, offset), loc=loc, input=None)
            for loc, kind, reason, offset in errors
        ]
        raise ValidationError.from_exception_data(model.__name__, details)


def _no_placeholder(value: object, what: str) -> None:
    if isinstance(value, str) and (found := _PLACEHOLDER.search(value)):
        raise _refuse("argument", f"{NO_ARGUMENTS} (found {found.group(0)} in {what})", found.start())


def _int(value: object, what: str, least: int) -> int:
    """An integer, or a string holding one: Argo Rollouts' ``IntOrString``."""
    _no_placeholder(value, what)
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        number = int(value)
    if number is None:
        raise _refuse("int", "expected an integer (or a string holding one)")
    if number < least:
        raise _refuse("int", f"must be at least {least}")
    return number


def _count(value: object) -> int:
    return _int(value, "count", 1)


def _limit(value: object) -> int:
    return _int(value, "a limit", 0)


def _duration(value: object) -> dt.timedelta:
    _no_placeholder(value, "a duration")
    try:
        return durations.parse(value)
    except durations.DurationError as exc:
        raise _refuse("duration", str(exc)) from None


def _interval(value: object) -> dt.timedelta:
    interval = _duration(value)
    if interval <= dt.timedelta(0):
        raise _refuse("duration", "must be longer than 0s")
    return interval


def _seconds(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _refuse("timeout", "timeout is a number of seconds, as in Argo Rollouts (timeout: 40)")
    if value < 1:
        raise _refuse("timeout", "must be at least 1")
    return value


def _address(value: object) -> str:
    if not isinstance(value, str):
        raise _refuse("url", "expected an http:// or https:// URL")
    _no_placeholder(value, "the address")
    parts = re.match(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>[^/?#]*)", value)
    if parts is None or parts["scheme"].lower() not in ("http", "https") or not parts["rest"]:
        raise _refuse("url", "expected an http:// or https:// URL of Prometheus")
    if ":" in parts["rest"].rpartition("@")[0]:
        raise _refuse("url", "the address holds a password: send it in a header whose value is a secretKeyRef argument")
    return value


def _condition(value: object) -> str:
    """The condition's text, once it parses (kept as text: the model stays plain data)."""
    if not isinstance(value, str):
        raise _refuse("condition", "expected a condition (a string such as result[0] >= 0.95)")
    if found := _PLACEHOLDER.search(value):
        reason = f"promoter does not fill arguments into conditions: write the value itself (found {found.group(0)})"
        raise _refuse("condition", reason, found.start())
    try:
        conditions.parse(value)
    except conditions.ConditionError as exc:
        raise _refuse("condition", f"not a valid condition: {exc.message}", exc.offset) from None
    return value


def _pattern(value: object) -> str:
    """A metric name or a regular expression matched as Argo Rollouts matches it (anywhere in the name)."""
    if not isinstance(value, str) or not value.strip():
        raise _refuse("pattern", "expected a metric name (or a regular expression such as .*)")
    try:
        re.compile(value)
    except re.error as exc:
        raise _refuse("pattern", f"not a valid regular expression: {exc}") from None
    return value


Count = Annotated[int, PlainValidator(_count)]
Limit = Annotated[int, PlainValidator(_limit)]
Delay = Annotated[dt.timedelta, PlainValidator(_duration)]
Interval = Annotated[dt.timedelta, PlainValidator(_interval)]
Seconds = Annotated[int, PlainValidator(_seconds)]
Address = Annotated[str, PlainValidator(_address)]
ConditionText = Annotated[str, PlainValidator(_condition)]
Pattern = Annotated[str, PlainValidator(_pattern)]
Percent = Annotated[float, Field(ge=0, le=100)]


# the template -------------------------------------------------------------------------------------


class _Model(pydantic.BaseModel):
    # defer_build: a model is built when first used, not at import (most are only ever parts of another)
    model_config = pydantic.ConfigDict(
        frozen=True, extra="forbid", strict=True, populate_by_name=True, defer_build=True
    )


class _SecretKeyRef(_Model):
    name: fields.Text
    key: fields.Text


class _ValueFrom(_Model):
    secret_key_ref: _SecretKeyRef | None = Field(default=None, alias="secretKeyRef")
    pod_template_hash_value: Any = Field(default=None, alias="podTemplateHashValue")
    field_ref: Any = Field(default=None, alias="fieldRef")

    @field_validator("pod_template_hash_value", "field_ref")
    @classmethod
    def _in_cluster(cls, value: object) -> object:
        if value is not None:
            raise _refuse("value_from", OUTSIDE)
        return value

    @model_validator(mode="after")
    def _a_secret(self) -> Self:
        if self.secret_key_ref is None:
            raise _refuse("value_from", "give valueFrom: {secretKeyRef: {name, key}}")
        return self


class _Arg(_Model):
    name: fields.Text
    value: str | None = None  # None: given where the template is used
    value_from: _ValueFrom | None = Field(default=None, alias="valueFrom")

    @model_validator(mode="after")
    def _one(self) -> Self:
        if self.value is not None and self.value_from is not None:
            _refuse_at(type(self), [(("valueFrom",), "arg", "give value or valueFrom, not both", None)])
        return self

    def to_arg(self) -> templates.Arg:
        if self.value_from is not None and (ref := self.value_from.secret_key_ref) is not None:
            return templates.Arg(self.name, secret=f"{ref.name}/{ref.key}")
        return templates.Arg(self.name, self.value)


class _Header(_Model):
    key: fields.Text
    value: str


class _Prometheus(_Model):
    address: Address
    query: fields.Text
    timeout: Seconds | None = None
    headers: list[_Header] = Field(default_factory=list)
    insecure: bool = False
    authentication: Any = None
    range_query: Any = Field(default=None, alias="rangeQuery")

    @field_validator("authentication")
    @classmethod
    def _no_authentication(cls, value: object) -> object:
        if value is not None:
            raise _refuse(
                "authentication",
                "authentication (sigv4, oauth2) is not supported yet: send a header whose value is an argument "
                "from a secretKeyRef (key: Authorization, value: Bearer {{args.token}})",
            )
        return value

    @field_validator("range_query")
    @classmethod
    def _no_range_query(cls, value: object) -> object:
        if value is not None:
            raise _refuse("range_query", "rangeQuery is not supported yet: promoter runs instant queries")
        return value

    def to_provider(self) -> templates.Prometheus:
        timeout = dt.timedelta(seconds=self.timeout) if self.timeout is not None else templates.Prometheus.timeout
        headers = tuple(templates.Header(h.key, h.value) for h in self.headers)
        return templates.Prometheus(self.address, self.query, timeout, headers, self.insecure)


class _Provider(_Model):
    prometheus: _Prometheus


class _Traffic(_Model):
    query: fields.Text
    minimum: Annotated[float, Field(ge=0)] = 0.0


class _Judge(_Model):
    direction: Literal["increase", "decrease", "either"] = "increase"
    tolerance: Annotated[float, Field(ge=0)] = 0.1
    confidence: Annotated[float, Field(gt=0, lt=1)] = 0.95
    weight: Annotated[float, Field(gt=0)] = 1.0
    critical: bool = False

    def to_judge(self) -> templates.Judge:
        return templates.Judge(
            templates.Direction(self.direction), self.tolerance, self.confidence, self.weight, self.critical
        )


class _MetricPromoter(_Model):
    baseline: fields.Text | None = None
    traffic: _Traffic | None = None
    empty: Literal["Inconclusive", "Failed", "Successful"] | None = None
    judge: _Judge | None = None


class _Metric(_Model):
    name: fields.Text
    interval: Interval | None = None
    initial_delay: Delay | None = Field(default=None, alias="initialDelay")
    count: Count | None = None
    success_condition: ConditionText | None = Field(default=None, alias="successCondition")
    failure_condition: ConditionText | None = Field(default=None, alias="failureCondition")
    failure_limit: Limit = Field(default=0, alias="failureLimit")
    inconclusive_limit: Limit = Field(default=0, alias="inconclusiveLimit")
    consecutive_error_limit: Limit = Field(default=4, alias="consecutiveErrorLimit")
    consecutive_success_limit: Any = Field(default=None, alias="consecutiveSuccessLimit")
    provider: _Provider
    promoter: _MetricPromoter = _MetricPromoter()

    @model_validator(mode="before")
    @classmethod
    def _prometheus_only(cls, data: object) -> object:
        """Another provider is named with the metric, not refused as an unknown key."""
        provider = data.get("provider") if isinstance(data, dict) else None
        if isinstance(data, dict) and isinstance(provider, dict):
            name = data.get("name")
            metric = f"metric {name!r}" if isinstance(name, str) else "this metric"
            errors: list[_Refusal] = [
                (("provider", key), "provider", f"{metric} uses the {key} provider; {PROMETHEUS_ONLY}", None)
                for key in provider
                if key in _OTHER_PROVIDERS
            ]
            _refuse_at(cls, errors)
        return data

    @field_validator("consecutive_success_limit")
    @classmethod
    def _no_success_limit(cls, value: object) -> object:
        if value is not None:
            raise _refuse("limit", "consecutiveSuccessLimit is not supported yet")  # the core has no such count
        return value

    @model_validator(mode="after")
    def _decides(self) -> Self:
        errors: list[_Refusal] = []
        judge = self.promoter.judge
        if self.count is not None and self.count > 1 and self.interval is None:
            errors.append(
                (("count",), "count", f"count {self.count} needs an interval: the time between measurements", None)
            )
        if judge is None and self.success_condition is None and self.failure_condition is None:
            reason = "a metric needs a successCondition, a failureCondition or a judge (promoter: {judge: ...})"
            errors.append(((), "metric", reason, None))
        if judge is not None and self.promoter.baseline is None:
            reason = "a judge compares the canary with a baseline: add promoter: {baseline: QUERY}"
            errors.append((("promoter", "judge"), "judge", reason, None))
        for key, condition in (
            ("successCondition", self.success_condition),
            ("failureCondition", self.failure_condition),
        ):
            if judge is not None and condition is not None:
                reason = f"a judged metric has no {key}: the judge decides (remove it, or the judge)"
                errors.append(((key,), "judge", reason, None))
        _refuse_at(type(self), errors)
        return self

    def queries(self) -> Iterator[tuple[_Loc, str]]:
        """Where ``{{args.NAME}}`` may be written, relative to the metric."""
        prometheus = self.provider.prometheus
        yield ("provider", "prometheus", "query"), prometheus.query
        for i, header in enumerate(prometheus.headers):
            yield ("provider", "prometheus", "headers", i, "value"), header.value
        if self.promoter.baseline is not None:
            yield ("promoter", "baseline"), self.promoter.baseline
        if self.promoter.traffic is not None:
            yield ("promoter", "traffic", "query"), self.promoter.traffic.query

    def to_metric(self, dry_run: bool, retention: int | None, source: templates.Source) -> templates.Metric:
        mine = self.promoter
        return templates.Metric(
            name=self.name,
            provider=self.provider.prometheus.to_provider(),
            interval=self.interval,
            count=self.count,
            initial_delay=self.initial_delay or dt.timedelta(0),
            success=conditions.parse(self.success_condition) if self.success_condition is not None else None,
            failure=conditions.parse(self.failure_condition) if self.failure_condition is not None else None,
            failure_limit=self.failure_limit,
            inconclusive_limit=self.inconclusive_limit,
            consecutive_error_limit=self.consecutive_error_limit,
            dry_run=dry_run,
            retention=retention,
            baseline=mine.baseline,
            traffic=mine.traffic.query if mine.traffic is not None else None,
            min_traffic=mine.traffic.minimum if mine.traffic is not None else 0.0,
            empty=templates.Phase(mine.empty) if mine.empty is not None else templates.Phase.INCONCLUSIVE,
            judge=mine.judge.to_judge() if mine.judge is not None else None,
            source=source,
        )


class _DryRun(_Model):
    metric_name: Pattern = Field(alias="metricName")


class _Retention(_Model):
    metric_name: Pattern = Field(alias="metricName")
    limit: Annotated[int, Field(ge=1)]


class _Score(_Model):
    passing: Percent = Field(default=95.0, alias="pass")
    marginal: Percent = 75.0

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.marginal > self.passing:
            _refuse_at(type(self), [(("marginal",), "score", "marginal is at most pass", None)])
        return self


class _SpecPromoter(_Model):
    score: _Score | None = None


def _matching(pattern: str, metrics: list[_Metric]) -> list[str]:
    # Argo Rollouts matches with Go's regexp.MatchString: anywhere in the name, not the whole name.
    return [m.name for m in metrics if re.search(pattern, m.name)]


class _Spec(_Model):
    args: list[_Arg] = Field(default_factory=list)
    metrics: Annotated[list[_Metric], Field(min_length=1)]
    dry_run: list[_DryRun] = Field(default_factory=list, alias="dryRun")
    measurement_retention: list[_Retention] = Field(default_factory=list, alias="measurementRetention")
    promoter: _SpecPromoter = _SpecPromoter()

    @model_validator(mode="after")
    def _references(self) -> Self:
        errors: list[_Refusal] = []
        declared = [a.name for a in self.args]
        for i, metric in enumerate(self.metrics):
            for loc, text in metric.queries():
                for found in _PLACEHOLDER.finditer(text):
                    if found.group(1) not in declared:
                        known = f"declared: {', '.join(declared)}" if declared else "it declares none"
                        reason = f"{found.group(0)} names an argument that spec.args does not declare ({known})"
                        errors.append((("metrics", i, *loc), "argument", reason, found.start()))
        names = ", ".join(m.name for m in self.metrics)
        patterns = [("dryRun", i, d.metric_name) for i, d in enumerate(self.dry_run)]
        patterns += [("measurementRetention", i, r.metric_name) for i, r in enumerate(self.measurement_retention)]
        for key, i, pattern in patterns:
            if not _matching(pattern, self.metrics):
                reason = f"{pattern!r} matches no metric of this template (metrics: {names})"
                errors.append(((key, i, "metricName"), "pattern", reason, None))
        _refuse_at(type(self), errors)
        return self

    def dry(self, metric: _Metric) -> bool:
        return any(metric.name in _matching(d.metric_name, [metric]) for d in self.dry_run)

    def retention(self, metric: _Metric) -> int | None:
        limits = [r.limit for r in self.measurement_retention if _matching(r.metric_name, [metric])]
        return limits[-1] if limits else None  # the last that matches, as a later entry refines an earlier


class _Metadata(_Model):
    # labels, annotations, ...: ignored
    model_config = pydantic.ConfigDict(frozen=True, extra="ignore", strict=True, defer_build=True)

    name: fields.Text


class TemplateModel(_Model):
    """One ``AnalysisTemplate`` or ``ClusterAnalysisTemplate`` document."""

    api_version: Literal["argoproj.io/v1alpha1"] = Field(alias="apiVersion")
    kind: Literal["AnalysisTemplate", "ClusterAnalysisTemplate"]
    metadata: _Metadata
    spec: _Spec

    def to_template(self, document: documents.Document) -> Template:
        spec = self.spec
        metrics = tuple(
            m.to_metric(spec.dry(m), spec.retention(m), _source(document, ("spec", "metrics", i)))
            for i, m in enumerate(spec.metrics)
        )
        judged = any(m.judge is not None for m in metrics)
        given = spec.promoter.score
        score = templates.Score(given.passing, given.marginal) if given is not None else None
        return Template(
            name=self.metadata.name,
            metrics=metrics,
            args=tuple(a.to_arg() for a in spec.args),
            cluster=KINDS[self.kind],
            score=score if score is not None or not judged else templates.Score(),
            source=_source(document, ()),
        )


def _source(document: documents.Document, loc: _Loc) -> templates.Source:
    return templates.Source(str(document.file), document.problem(loc, "").line or 1)


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


def _value_at(root: object, loc: _Loc) -> object:
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


def _repeated(document: documents.Document, what: str, named: list[tuple[_Loc, str]]) -> list[Problem]:
    """A problem at each name given before in the same template (metric or argument names)."""
    problems: list[Problem] = []
    first: dict[str, _Loc] = {}
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
