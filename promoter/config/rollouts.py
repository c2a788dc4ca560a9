"""Argo Rollouts' ``AnalysisTemplate`` and ``ClusterAnalysisTemplate`` as promoter reads them: pydantic models of
the documents as written (Argo Rollouts' fields, and promoter's own under ``promoter:`` keys), each refusal at
its key or inside its scalar, and what each model becomes (:class:`promoter.core.templates.Template`).
Reading the files, the catalog of templates and the warnings are :mod:`.analysis`'s.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Self

import pydantic
from pydantic import Field, PlainValidator, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from promoter.config import documents, durations, fields
from promoter.config.templatekinds import KINDS, OUTSIDE, Loc
from promoter.core import conditions, templates
from promoter.core.templates import Template

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
NO_ARGUMENTS = "promoter fills arguments into queries and header values only: write the value itself"


# values -------------------------------------------------------------------------------------------

# (loc relative to the model, kind, reason, offset in the scalar or None)
_Refusal = tuple[Loc, str, str, int | None]


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


class _SameQuery(_Model):
    """``baseline: {args: {NAME: VALUE}}``: the metric's own query, with these arguments, is the baseline."""

    args: Annotated[dict[str, fields.Text], Field(min_length=1)]


class _MetricPromoter(_Model):
    baseline: fields.Text | _SameQuery | None = None  # a query, or the metric's own with other arguments
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
        if isinstance(self.promoter.baseline, _SameQuery):
            used = {found.group(1) for found in _PLACEHOLDER.finditer(self.provider.prometheus.query)}
            for name in self.promoter.baseline.args:
                if name not in used:
                    reason = (
                        f"the query does not use {{{{args.{name}}}}}: with it the baseline would not differ from "
                        "the canary's own series"
                    )
                    errors.append((("promoter", "baseline", "args", name), "baseline", reason, None))
        for key, condition in (
            ("successCondition", self.success_condition),
            ("failureCondition", self.failure_condition),
        ):
            if judge is not None and condition is not None:
                reason = f"a judged metric has no {key}: the judge decides (remove it, or the judge)"
                errors.append(((key,), "judge", reason, None))
        _refuse_at(type(self), errors)
        return self

    def queries(self) -> Iterator[tuple[Loc, str]]:
        """Where ``{{args.NAME}}`` may be written, relative to the metric."""
        prometheus = self.provider.prometheus
        yield ("provider", "prometheus", "query"), prometheus.query
        for i, header in enumerate(prometheus.headers):
            yield ("provider", "prometheus", "headers", i, "value"), header.value
        if isinstance(self.promoter.baseline, _SameQuery):
            for name, value in self.promoter.baseline.args.items():
                yield ("promoter", "baseline", "args", name), value
        elif self.promoter.baseline is not None:
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
            baseline=self.provider.prometheus.query if isinstance(mine.baseline, _SameQuery) else mine.baseline,
            baseline_args=tuple(mine.baseline.args.items()) if isinstance(mine.baseline, _SameQuery) else (),
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


def _source(document: documents.Document, loc: Loc) -> templates.Source:
    return templates.Source(str(document.file), document.problem(loc, "").line or 1)
