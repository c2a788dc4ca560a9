"""Analysis templates as promoter holds them: Argo Rollouts' ``AnalysisTemplate`` / ``ClusterAnalysisTemplate``
fields (``interval``, ``count``, ``initialDelay``, ``successCondition``, ``failureCondition``,
``failureLimit``, ``inconclusiveLimit``, ``consecutiveErrorLimit``, ``dryRun``, ``measurementRetention``) with
the Prometheus provider, plus promoter's own: a baseline query (canary versus stable), a minimum-traffic query,
what an empty or NaN result means, and a statistical judge in the style of Spinnaker Kayenta. Frozen values;
:mod:`promoter.config.analysis` reads them from YAML, :mod:`promoter.core.analysis` judges a run.

Queries and header values keep ``{{args.NAME}}`` placeholders; :func:`render` fills in the plain arguments in
the core. A secret argument (``valueFrom.secretKeyRef``) is never filled in here: its placeholder stays in the
query the core hands to the shell, which substitutes it right before the request, so no secret is in a
decision, a record, a log or a PR.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re

from promoter.core.conditions import Condition


class Phase(enum.Enum):
    """A measurement's, a metric's or a run's result; the run takes the worst (in this order)."""

    SUCCESSFUL = "Successful"
    INCONCLUSIVE = "Inconclusive"
    ERROR = "Error"
    FAILED = "Failed"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Phase.SUCCESSFUL: 0, Phase.INCONCLUSIVE: 1, Phase.ERROR: 2, Phase.FAILED: 3}


@dataclasses.dataclass(frozen=True)
class Source:
    """Where a template (or one of its metrics) was written: for messages that name file and line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclasses.dataclass(frozen=True)
class Header:
    key: str
    value: str  # may hold ``{{args.NAME}}`` (a secret argument is filled in by the shell)


@dataclasses.dataclass(frozen=True)
class Prometheus:
    address: str
    query: str
    timeout: dt.timedelta = dt.timedelta(seconds=30)
    headers: tuple[Header, ...] = ()
    insecure: bool = False  # skip TLS verification
    step: dt.timedelta | None = None  # for a judge's range query: the resolution (default: a fifth of the interval)


class Direction(enum.Enum):
    """Which way a canary's metric is bad (Kayenta's ``direction``)."""

    INCREASE = "increase"  # higher than the baseline is bad (errors, latency)
    DECREASE = "decrease"  # lower is bad (throughput, success rate)
    EITHER = "either"


@dataclasses.dataclass(frozen=True)
class Judge:
    """Mann-Whitney U of the canary's samples against the baseline's over each interval (Kayenta's judge).

    A metric is High or Low when the two samples differ significantly (p < ``1 - confidence``) *and* the
    effect (the ratio of the medians) is beyond ``tolerance``; Pass otherwise."""

    direction: Direction = Direction.INCREASE
    tolerance: float = 0.1  # the relative effect ignored: 0.1 allows the canary 10% worse
    confidence: float = 0.95
    weight: float = 1.0
    critical: bool = False  # High/Low here fails the run whatever the score


@dataclasses.dataclass(frozen=True)
class Score:
    """A template's weighted score over its judged metrics (Kayenta's thresholds, 0..100)."""

    passing: float = 95.0
    marginal: float = 75.0


@dataclasses.dataclass(frozen=True)
class Metric:
    name: str
    provider: Prometheus
    interval: dt.timedelta | None = None  # None: one measurement (unless count says more)
    count: int | None = None  # None: one measurement without an interval, else until the run ends
    initial_delay: dt.timedelta = dt.timedelta(0)
    success: Condition | None = None
    failure: Condition | None = None
    failure_limit: int = 0
    inconclusive_limit: int = 0
    consecutive_error_limit: int = 4
    dry_run: bool = False  # measured and shown, never counted in the run's verdict
    retention: int | None = None  # measurements kept for the table (the judgement counts all)
    # promoter's own --------------------------------------------------------------------------------------
    baseline: str | None = None  # the stable's series under the same query (``baseline`` in conditions)
    # when set, ``baseline`` is the metric's own query, read with these arguments (the stable's names) instead
    baseline_args: tuple[tuple[str, str], ...] = ()
    traffic: str | None = None  # a request count; below ``min_traffic`` a measurement is Inconclusive
    min_traffic: float = 0.0
    empty: Phase = Phase.INCONCLUSIVE  # what an empty vector or NaN means (only an explicit `empty:` passes it)
    judge: Judge | None = None  # replaces the conditions: a statistical comparison with ``baseline``
    source: Source | None = None


@dataclasses.dataclass(frozen=True)
class Arg:
    name: str
    value: str | None = None  # None: must be given where the template is used
    secret: str | None = None  # ``secretKeyRef`` as ``name/key``: filled in by the shell only


@dataclasses.dataclass(frozen=True)
class Template:
    name: str
    metrics: tuple[Metric, ...]
    args: tuple[Arg, ...] = ()
    cluster: bool = False  # a ClusterAnalysisTemplate
    score: Score | None = None  # with judged metrics
    source: Source | None = None


@dataclasses.dataclass(frozen=True)
class Analysis:
    """One analysis as a stage uses it: templates (merged, as Argo Rollouts merges several) and arguments.

    An argument's value may name promotion values: ``{{version}}``, ``{{stage}}``, ``{{canary}}``,
    ``{{stable}}`` (the workloads' names), filled in when the plan is built."""

    templates: tuple[Template, ...]
    args: tuple[tuple[str, str], ...] = ()  # given where used: override the templates' defaults
    # Prometheus' scrape interval (promoter.yaml ``analysis.scrape_interval``): the first measurement waits one
    # more, so the newest sample it reads was scraped after the change took effect.
    scrape_interval: dt.timedelta = dt.timedelta(seconds=30)

    @property
    def metrics(self) -> tuple[Metric, ...]:
        return tuple(m for t in self.templates for m in t.metrics)

    @property
    def label(self) -> str:
        return "analysis " + ", ".join(t.name for t in self.templates)

    def reading(self, address: str) -> Analysis:
        """The analysis with every metric reading Prometheus at ``address`` (promoter.yaml's
        ``analysis.address``: templates written for the cluster name an in-cluster Service)."""

        def moved(metric: Metric) -> Metric:
            return dataclasses.replace(metric, provider=dataclasses.replace(metric.provider, address=address))

        templates = tuple(dataclasses.replace(t, metrics=tuple(moved(m) for m in t.metrics)) for t in self.templates)
        return dataclasses.replace(self, templates=templates)


_PLACEHOLDER = re.compile(r"\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}")


class ArgumentError(ValueError):
    """A template's argument has no value where it is used."""


def secret_args(analysis: Analysis) -> frozenset[str]:
    return frozenset(a.name for t in analysis.templates for a in t.args if a.secret is not None)


def render(text: str, analysis: Analysis, promotion_values: dict[str, str]) -> str:
    """``text`` with every plain ``{{args.NAME}}`` filled in (secret ones left for the shell)."""
    values = _values(analysis, promotion_values)
    secret = secret_args(analysis)

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in secret:
            return match.group(0)
        if name not in values:
            raise ArgumentError(f"argument {name!r} has no value")
        return values[name]

    return _PLACEHOLDER.sub(fill, text)


def _values(analysis: Analysis, promotion_values: dict[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for template in analysis.templates:
        for arg in template.args:
            if arg.value is not None:
                values[arg.name] = arg.value
    values.update(dict(analysis.args))
    return {name: _promotion(value, promotion_values) for name, value in values.items()}


def _promotion(value: str, promotion_values: dict[str, str]) -> str:
    for key, filled in promotion_values.items():
        value = value.replace("{{" + key + "}}", filled)
    return value
