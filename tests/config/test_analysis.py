"""Analysis templates under ``DIR/analysis/`` load into the exact core values, or are refused at file:line:column.

Argo Rollouts' own examples are read as they are in ``../shared``; the rest are templates in Argo Rollouts'
documented style. ``BASE`` is one template whose lines are numbered in the comments below it, so that a
case's place can be checked by eye; ``HEAD`` (from tests/config/test_strategies.py) is a pipeline whose
strategy starts at line 7.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from promoter.cli import validate, wiring
from promoter.config import analysis, loading
from promoter.config.analysis import EMPTY_PASSES, NAN_PASSES, ConfigWarning
from promoter.config.problems import ConfigError
from promoter.config.templatekinds import OUTSIDE
from promoter.core import conditions, strategies
from promoter.core.strategies import AnalysisStep, Background, BlueGreen, Canary, SetWeight
from promoter.core.templates import (
    Analysis,
    Arg,
    Direction,
    Header,
    Judge,
    Metric,
    Phase,
    Prometheus,
    Score,
    Source,
    Template,
)
from promoter.errors import PermanentError
from tests.config import configdir
from tests.config.test_strategies import BG_HEAD, BLUE_GREEN, CANARY, HEAD, WORKLOAD

EXAMPLES = Path("repos/argoproj+argo-rollouts/examples")

# Argo Rollouts' documented Prometheus example (docs/analysis/prometheus.md), Istio's success rate.
ISTIO = """\
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: success-rate
spec:
  args:
  - name: service-name
  metrics:
  - name: success-rate
    interval: 5m
    # NOTE: prometheus queries return results in the form of a vector.
    # So it is common to access the index 0 of the returned array to obtain the value
    successCondition: result[0] >= 0.95
    failureLimit: 3
    provider:
      prometheus:
        address: http://prometheus.example.com:9090
        # timeout is expressed in seconds
        timeout: 40
        headers:
        - key: X-Scope-OrgID
          value: tenant_a
        query: |
          sum(irate(
            istio_requests_total{reporter="source",destination_service=~"{{args.service-name}}",response_code!~"5.*"}[5m]
          )) /
          sum(irate(
            istio_requests_total{reporter="source",destination_service=~"{{args.service-name}}"}[5m]
          ))
"""
ISTIO_QUERY = (
    "sum(irate(\n"
    '  istio_requests_total{reporter="source",destination_service=~"{{args.service-name}}",response_code!~"5.*"}[5m]\n'
    ")) /\n"
    "sum(irate(\n"
    '  istio_requests_total{reporter="source",destination_service=~"{{args.service-name}}"}[5m]\n'
    "))\n"
)

BASE = """\
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: success-rate
spec:
  args:
    - name: service-name
  metrics:
    - name: success-rate
      interval: 5m
      successCondition: result[0] >= 0.95
      failureLimit: 3
      provider:
        prometheus:
          address: http://prometheus.example.com:9090
          query: sum(rate(http_requests_total{service="{{args.service-name}}"}[5m]))
"""
#  4: metadata.name's value at column 9
#  7: the argument, its name at column 13
#  9: the metric (its mapping at column 7, its name's value at column 13)
# 10-12: interval, successCondition (value at column 25), failureLimit (value at column 21)
# 15-16: address (value at column 20) and query (value at column 18; the placeholder at column 56)
T = "analysis/t.yaml"
BASE_QUERY = 'sum(rate(http_requests_total{service="{{args.service-name}}"}[5m]))'
M = "spec.metrics[0]"
P = f"{M}.provider.prometheus"


def template(text: str, name: str = "success-rate", *, cluster: bool = False) -> str:
    """``text`` as another template: renamed (``name``), or a ClusterAnalysisTemplate."""
    renamed = text.replace("  name: success-rate\nspec:", f"  name: {name}\nspec:")
    return renamed.replace("kind: AnalysisTemplate", "kind: ClusterAnalysisTemplate") if cluster else renamed


def write(tmp_path: Path, files: dict[str, str], pipeline: str = configdir.PIPELINE) -> Path:
    return configdir.write(tmp_path, {"pipelines/web.yaml": pipeline, **files})


def refused(directory: Path) -> list[str]:
    """The problems, each as ``FILE:LINE:COLUMN: field: message`` with FILE relative to the directory."""
    with pytest.raises(ConfigError) as caught:
        loading.load(directory)
    return [str(p).removeprefix(f"{directory}/") for p in caught.value.problems]


def templates_of(tmp_path: Path, files: dict[str, str]) -> dict[str, Template]:
    """The templates of the files' analysis/ folder by name (``cluster:NAME`` for a cluster template)."""
    loaded = analysis.load(write(tmp_path, files) / "analysis", problems := [], [])
    assert problems == []
    return {("cluster:" if t.cluster else "") + t.name: t for t in loaded.templates}


def strategy_of(tmp_path: Path, text: str, files: dict[str, str]) -> strategies.Strategy:
    (stage,) = loading.load(write(tmp_path, files, text)).pipeline("web").stages
    return stage.strategy


def success_rate(directory: Path, query: str = BASE_QUERY, *, file: str = T, cluster: bool = False) -> Template:
    """BASE's template as loaded from ``directory`` (from ``file``, as a ClusterAnalysisTemplate)."""
    metric = Metric(
        name="success-rate",
        provider=Prometheus("http://prometheus.example.com:9090", query),
        interval=dt.timedelta(minutes=5),
        success=conditions.parse("result[0] >= 0.95"),
        failure_limit=3,
        source=Source(str(directory / file), 9),
    )
    return Template("success-rate", (metric,), (Arg("service-name"),), cluster, source=Source(str(directory / file), 1))


# Argo Rollouts' examples, as they are ------------------------------------------------------------


def test_the_prometheus_template_of_the_examples_loads_and_is_used(tmp_path: Path, corpus: Path) -> None:
    """appmesh/canary-rollout.yaml: its AnalysisTemplate (beside a Rollout, which is ignored) as the canary's
    background analysis, with the argument its commented-out Rollout passes."""
    source = (corpus / EXAMPLES / "appmesh/canary-rollout.yaml").read_text()
    text = (
        HEAD
        + CANARY
        + """\
        steps: [{setWeight: 25}, {pause: {}}, {setWeight: 50}]
        analysis:
          templates:
          - templateName: success-rate
          startingStep: 2
          args:
          - name: envoy_cluster_name
            value: cds_egress_argo-examples_my-vn-canary_argo-examples_http_80
"""
    )
    directory = write(tmp_path, {"analysis/canary-rollout.yaml": source}, text)
    (stage,) = loading.load(directory).pipeline("web").stages
    assert isinstance(stage.strategy, Canary)
    assert stage.strategy.background is not None
    background = stage.strategy.background
    assert background.starting_step == 2
    assert background.analysis.args == (
        ("envoy_cluster_name", "cds_egress_argo-examples_my-vn-canary_argo-examples_http_80"),
    )
    (loaded,) = background.analysis.templates
    query = (
        'sum(irate(envoy_cluster_upstream_rq_xx{app="wrk-tester",envoy_cluster_name="{{args.envoy_cluster_name}}",'
        'envoy_response_code_class!~"5.*"}[5m])) /\n'
        'sum(irate(envoy_cluster_upstream_rq_xx{app="wrk-tester",envoy_cluster_name="{{args.envoy_cluster_name}}"}'
        "[5m]))\n"
    )
    file = str(directory / "analysis/canary-rollout.yaml")
    assert loaded == Template(
        "success-rate",
        (
            Metric(
                name="success-rate",
                provider=Prometheus("http://appmesh-prometheus.appmesh-system:9090", query),
                interval=dt.timedelta(minutes=5),
                success=conditions.parse("result[0] >= 0.99"),
                failure_limit=3,
                source=Source(file, 10),
            ),
        ),
        (Arg("envoy_cluster_name"),),
        source=Source(file, 1),
    )


def test_every_template_of_the_examples_is_read_and_the_others_refused_at_their_provider(
    tmp_path: Path, corpus: Path
) -> None:
    """The whole examples folder as DIR/analysis/: Rollouts, Services, Experiments, Ingresses are ignored; a
    template with another provider is refused at it; Helm's templates are not YAML (refused at their line)."""
    directory = configdir.write(tmp_path, {})
    shutil.copytree(corpus / EXAMPLES, directory / "analysis")
    job = "uses the job provider; promoter reads metrics from Prometheus only"
    assert refused(directory) == [
        f"analysis/analysis-templates.yaml:17:7: {M}.provider.job: metric 'pass' {job}",
        f"analysis/analysis-templates.yaml:43:7: {M}.provider.job: metric 'random-fail' {job}",
        f"analysis/cluster-analysis-templates.yaml:12:9: {M}.provider.job: metric 'pass' {job}",
        "analysis/helm-blue-green/templates/rollout.yaml:20:65: "
        "while parsing a block mapping: expected <block end>, but found '<scalar>'",
        "analysis/helm-blue-green/templates/services.yaml:25:51: "
        "while parsing a block mapping: expected <block end>, but found '<scalar>'",
        f"analysis/rollout-secret.yaml:59:7: {M}.provider.web: metric 'webmetric' uses the web provider; "
        "promoter reads metrics from Prometheus only",
        f"analysis/traffic-management/job.yaml:13:9: {M}.provider.job: metric 'pass' {job}",
        f"analysis/traffic-management/rollout-linkerd.yaml:96:9: {M}.provider.job: metric 'pass' {job}",
    ]


# loaded -------------------------------------------------------------------------------------------


def test_the_documented_istio_template(tmp_path: Path) -> None:
    (loaded,) = templates_of(tmp_path, {"analysis/success-rate.yaml": ISTIO}).values()
    file = str(tmp_path / "config/analysis/success-rate.yaml")
    assert loaded == Template(
        "success-rate",
        (
            Metric(
                name="success-rate",
                provider=Prometheus(
                    "http://prometheus.example.com:9090",
                    ISTIO_QUERY,
                    timeout=dt.timedelta(seconds=40),
                    headers=(Header("X-Scope-OrgID", "tenant_a"),),
                ),
                interval=dt.timedelta(minutes=5),
                success=conditions.parse("result[0] >= 0.95"),
                failure_limit=3,
                source=Source(file, 9),
            ),
        ),
        (Arg("service-name"),),
        source=Source(file, 1),
    )


def test_every_argo_rollouts_field(tmp_path: Path) -> None:
    text = """\
apiVersion: argoproj.io/v1alpha1
kind: ClusterAnalysisTemplate
metadata:
  name: errors
  namespace: argo-rollouts
  labels: {team: web}
spec:
  args:
  - name: service
    value: web.default.svc
  - name: api-token
    valueFrom:
      secretKeyRef: {name: prometheus, key: token}
  dryRun:
  - metricName: latency.*
  measurementRetention:
  - metricName: .*
    limit: 20
  - metricName: error-rate
    limit: 5
  metrics:
  - name: error-rate
    interval: 1m
    initialDelay: 30s
    count: "10"
    failureCondition: result[0] > 0.05
    successCondition: result[0] <= 0.01
    failureLimit: 2
    inconclusiveLimit: 3
    consecutiveErrorLimit: 0
    provider:
      prometheus:
        address: https://prometheus.example.com
        insecure: true
        headers:
        - {key: Authorization, value: "Bearer {{args.api-token}}"}
        query: sum(rate(errors{service="{{args.service}}"}[1m]))
  - name: latency-p99
    count: 1
    successCondition: "all(result, # < 0.5)"  # quoted: '#' after a space starts a YAML comment
    provider:
      prometheus:
        address: http://prometheus:9090
        query: histogram_quantile(0.99, rate(latency_bucket[1m]))
"""
    loaded = templates_of(tmp_path, {"analysis/errors.yml": text})["cluster:errors"]
    file = str(tmp_path / "config/analysis/errors.yml")
    assert loaded == Template(
        "errors",
        (
            Metric(
                name="error-rate",
                provider=Prometheus(
                    "https://prometheus.example.com",
                    'sum(rate(errors{service="{{args.service}}"}[1m]))',
                    headers=(Header("Authorization", "Bearer {{args.api-token}}"),),
                    insecure=True,
                ),
                interval=dt.timedelta(minutes=1),
                count=10,  # Argo Rollouts' IntOrString
                initial_delay=dt.timedelta(seconds=30),
                success=conditions.parse("result[0] <= 0.01"),
                failure=conditions.parse("result[0] > 0.05"),
                failure_limit=2,
                inconclusive_limit=3,
                consecutive_error_limit=0,
                retention=5,  # the last entry that matches
                source=Source(file, 22),
            ),
            Metric(
                name="latency-p99",
                provider=Prometheus("http://prometheus:9090", "histogram_quantile(0.99, rate(latency_bucket[1m]))"),
                count=1,
                success=conditions.parse("all(result, # < 0.5)"),
                dry_run=True,
                retention=20,
                source=Source(file, 38),
            ),
        ),
        (Arg("service", "web.default.svc"), Arg("api-token", secret="prometheus/token")),
        cluster=True,
        source=Source(file, 1),
    )


def test_promoters_own_fields(tmp_path: Path) -> None:
    text = (
        BASE.replace("  metrics:\n", "  promoter: {score: {pass: 90, marginal: 60}}\n  metrics:\n")
        + """\
      promoter:
        baseline: sum(rate(http_requests_total{service="web-stable"}[5m]))
        traffic: {query: "sum(increase(http_requests_total[5m]))", minimum: 100}
        empty: Failed
    - name: latency
      interval: 1m
      provider:
        prometheus: {address: "http://prometheus:9090", query: "p99{service='{{args.service-name}}'}"}
      promoter:
        baseline: p99{service='web-stable'}
        judge: {direction: either, tolerance: 0.2, confidence: 0.99, weight: 2, critical: true}
    - name: cpu
      interval: 1m
      provider: {prometheus: {address: "http://prometheus:9090", query: cpu}}
      promoter: {baseline: cpu_stable, judge: {}}
"""
    )
    loaded = templates_of(tmp_path, {T: text})["success-rate"]
    file = str(tmp_path / "config" / T)
    first, latency, cpu = loaded.metrics
    assert (first.baseline, first.traffic, first.min_traffic, first.empty) == (
        'sum(rate(http_requests_total{service="web-stable"}[5m]))',
        "sum(increase(http_requests_total[5m]))",
        100.0,
        Phase.FAILED,
    )
    assert latency == Metric(
        name="latency",
        provider=Prometheus("http://prometheus:9090", "p99{service='{{args.service-name}}'}"),
        interval=dt.timedelta(minutes=1),
        baseline="p99{service='web-stable'}",
        judge=Judge(Direction.EITHER, tolerance=0.2, confidence=0.99, weight=2.0, critical=True),
        source=Source(file, 22),
    )
    assert (cpu.judge, cpu.empty) == (Judge(), Phase.INCONCLUSIVE)  # Kayenta's defaults
    assert loaded.score == Score(passing=90.0, marginal=60.0)


def test_a_baseline_can_be_the_metrics_own_query_with_the_stables_arguments(tmp_path: Path) -> None:
    text = with_metric('promoter: {baseline: {args: {service-name: "{{stable}}"}}}')
    (m,) = templates_of(tmp_path, {T: text})["success-rate"].metrics
    assert (m.baseline, m.baseline_args) == (BASE_QUERY, (("service-name", "{{stable}}"),))


def test_a_judged_template_has_the_default_score_and_a_plain_one_none(tmp_path: Path) -> None:
    judged = BASE.replace("      successCondition: result[0] >= 0.95\n", "") + (
        "      promoter: {baseline: 'sum(rate(http_requests_total{service=\"web-stable\"}[5m]))', judge: {}}\n"
    )
    loaded = templates_of(tmp_path, {"analysis/judged.yaml": template(judged, "judged"), T: BASE})
    assert loaded["judged"].score == Score()
    assert loaded["success-rate"].score is None


def test_every_file_under_the_folder_every_document_and_both_kinds(tmp_path: Path) -> None:
    """Several documents a file, other kinds ignored, .yml and subfolders, hidden files skipped; the two kinds
    are two namespaces (a template and a cluster template may share a name)."""
    several = "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\n" + BASE + "---\n# nothing\n"
    loaded = templates_of(
        tmp_path,
        {
            "analysis/several.yaml": several,
            "analysis/cluster/shared.yml": template(BASE, cluster=True),
            "analysis/.hidden.yaml": "this is not: [yaml",
            "analysis/notes.txt": "not a template",
        },
    )
    assert sorted(loaded) == ["cluster:success-rate", "success-rate"]
    assert loaded["success-rate"].metrics[0].source == Source(str(tmp_path / "config/analysis/several.yaml"), 14)


def test_no_analysis_folder_is_no_templates(tmp_path: Path) -> None:
    assert analysis.load(tmp_path / "analysis", problems := [], warnings := []) == analysis.Catalog()
    assert (problems, warnings) == ([], [])


# refused ------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Refused:
    text: str  # analysis/t.yaml
    where: str  # LINE:COLUMN in it
    field: str
    message: str


def replaced(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new)


def with_metric(lines: str) -> str:
    """BASE with more keys in its metric (from line 17, at column 7)."""
    return BASE + "".join(f"      {line}\n" for line in lines.splitlines())


DECIDES = "a metric needs a successCondition, a failureCondition or a judge (promoter: {judge: ...})"
NO_BASELINE = "a judge compares the canary with a baseline: add promoter: {baseline: QUERY}"
HTTP = "expected an http:// or https:// URL of Prometheus"
SUCCESS = "result[0] >= 0.95"

REFUSED = {
    # the checks of the brief
    "count-below-1": Refused(
        replaced("      interval: 5m\n", "      count: 0\n"), "10:14", f"{M}.count", "must be at least 1"
    ),
    "count-as-a-string-below-1": Refused(
        replaced("      interval: 5m\n", "      interval: 5m\n      count: '0'\n"),
        "11:14",
        f"{M}.count",
        "must be at least 1",
    ),
    "count-without-an-interval": Refused(
        replaced("      interval: 5m\n", "      count: 3\n"),
        "10:14",
        f"{M}.count",
        "count 3 needs an interval: the time between measurements",
    ),
    "negative-failure-limit": Refused(
        replaced("failureLimit: 3", "failureLimit: -1"), "12:21", f"{M}.failureLimit", "must be at least 0"
    ),
    "negative-inconclusive-limit": Refused(
        with_metric("inconclusiveLimit: -2"), "17:26", f"{M}.inconclusiveLimit", "must be at least 0"
    ),
    "negative-consecutive-error-limit": Refused(
        with_metric("consecutiveErrorLimit: '-1'"), "17:30", f"{M}.consecutiveErrorLimit", "must be at least 0"
    ),
    "no-condition-and-no-judge": Refused(replaced(f"      successCondition: {SUCCESS}\n", ""), "9:7", M, DECIDES),
    "address-not-http": Refused(
        replaced("http://prometheus.example.com:9090", "prometheus.example.com:9090"), "15:20", f"{P}.address", HTTP
    ),
    "address-of-another-scheme": Refused(
        replaced("http://prometheus.example.com:9090", "tcp://prometheus:9090"), "15:20", f"{P}.address", HTTP
    ),
    "address-with-a-password": Refused(
        replaced("http://prometheus.example.com:9090", "https://admin:hunter2@prometheus"),
        "15:20",
        f"{P}.address",
        "the address holds a password: send it in a header whose value is a secretKeyRef argument",
    ),
    "argument-not-declared-in-the-query": Refused(
        replaced("{{args.service-name}}", "{{args.service}}"),
        "16:56",
        f"{P}.query",
        "{{args.service}} names an argument that spec.args does not declare (declared: service-name)",
    ),
    "argument-not-declared-in-a-header": Refused(
        BASE + "          headers: [{key: Authorization, value: 'Bearer {{ args.token }}'}]\n",
        "17:57",
        f"{P}.headers[0].value",
        "{{ args.token }} names an argument that spec.args does not declare (declared: service-name)",
    ),
    "argument-not-declared-in-a-block-query": Refused(
        ISTIO.replace('"{{args.service-name}}"}', '"{{args.service}}"}'),
        "28:74",  # inside the block: its line in the file, its column
        "spec.metrics[0].provider.prometheus.query",
        "{{args.service}} names an argument that spec.args does not declare (declared: service-name)",
    ),
    "argument-when-none-is-declared": Refused(
        replaced("  args:\n    - name: service-name\n", ""),
        "14:56",
        f"{P}.query",
        "{{args.service-name}} names an argument that spec.args does not declare (it declares none)",
    ),
    "another-provider": Refused(
        replaced("        prometheus:\n", "        web:\n"),
        "14:9",
        f"{M}.provider.web",
        "metric 'success-rate' uses the web provider; promoter reads metrics from Prometheus only",
    ),
    "a-plugin-provider": Refused(
        replaced("        prometheus:\n", "        plugin:\n          argoproj-labs/sample-prometheus:\n"),
        "14:9",
        f"{M}.provider.plugin",
        "metric 'success-rate' uses the plugin provider; promoter reads metrics from Prometheus only",
    ),
    "sigv4": Refused(
        BASE + "          authentication: {sigv4: {region: eu-west-1}}\n",
        "17:11",
        f"{P}.authentication",
        "authentication (sigv4, oauth2) is not supported yet: send a header whose value is an argument from a "
        "secretKeyRef (key: Authorization, value: Bearer {{args.token}})",
    ),
    "oauth2": Refused(
        BASE + "          authentication:\n            oauth2: {tokenUrl: 'https://auth/token', clientId: c}\n",
        "17:11",
        f"{P}.authentication",
        "authentication (sigv4, oauth2) is not supported yet: send a header whose value is an argument from a "
        "secretKeyRef (key: Authorization, value: Bearer {{args.token}})",
    ),
    "pod-template-hash-argument": Refused(
        replaced("    - name: service-name\n", "    - name: hash\n      valueFrom: {podTemplateHashValue: Latest}\n"),
        "8:19",
        "spec.args[0].valueFrom.podTemplateHashValue",
        OUTSIDE,
    ),
    "field-ref-argument": Refused(
        replaced(
            "    - name: service-name\n",
            "    - name: service-name\n      valueFrom:\n        fieldRef: {fieldPath: metadata.name}\n",
        ),
        "9:9",
        "spec.args[0].valueFrom.fieldRef",
        OUTSIDE,
    ),
    "condition-that-does-not-parse": Refused(
        replaced(SUCCESS, "result[0] >== 0.95"),
        "11:37",
        f"{M}.successCondition",
        "not a valid condition: unexpected '=' (did you mean '=='?)",
    ),
    "quoted-condition-that-does-not-parse": Refused(
        replaced(SUCCESS, "'result[0] >= '"),
        "11:39",
        f"{M}.successCondition",
        "not a valid condition: unexpected end of condition",
    ),
    "block-condition-that-does-not-parse": Refused(
        replaced(f"successCondition: {SUCCESS}", "failureCondition: |\n        result[0] < 0.5 &&\n        matches"),
        "13:9",
        f"{M}.failureCondition",
        "not a valid condition: 'matches' is not supported",
    ),
    "condition-with-an-argument": Refused(
        replaced(SUCCESS, "result[0] >= {{args.threshold}}"),
        "11:38",
        f"{M}.successCondition",
        "promoter does not fill arguments into conditions: write the value itself (found {{args.threshold}})",
    ),
    "judge-without-a-baseline": Refused(
        replaced(f"      successCondition: {SUCCESS}\n", "") + "      promoter: {judge: {direction: increase}}\n",
        "16:25",
        f"{M}.promoter.judge",
        NO_BASELINE,
    ),
    "baseline-by-an-argument-the-query-does-not-use": Refused(
        with_metric("promoter: {baseline: {args: {service: web-stable}}}"),
        "17:45",
        f"{M}.promoter.baseline.args.service",
        "the query does not use {{args.service}}: with it the baseline would not differ from the canary's own series",
    ),
    "baseline-by-an-undeclared-argument": Refused(
        with_metric('promoter: {baseline: {args: {service-name: "{{args.region}}"}}}'),
        "17:51",
        f"{M}.promoter.baseline.args.service-name",
        "{{args.region}} names an argument that spec.args does not declare (declared: service-name)",
    ),
    "judge-with-a-condition": Refused(
        with_metric("promoter: {baseline: stable_rate, judge: {}}"),
        "11:25",
        f"{M}.successCondition",
        "a judged metric has no successCondition: the judge decides (remove it, or the judge)",
    ),
    # Argo Rollouts' fields, shape by shape
    "another-api-version": Refused(
        replaced("argoproj.io/v1alpha1", "argoproj.io/v1beta1"),
        "1:13",
        "apiVersion",
        "expected 'argoproj.io/v1alpha1'",
    ),
    "no-name": Refused(
        replaced("  name: success-rate\nspec", "  namespace: web\nspec"), "4:3", "metadata.name", "missing (required)"
    ),
    "no-metrics": Refused(
        BASE.partition("  metrics:\n")[0] + "  metrics: []\n", "8:12", "spec.metrics", "must not be empty"
    ),
    "metric-key-with-a-typo": Refused(
        replaced("successCondition", "sucessCondition"),
        "11:7",
        f"{M}.sucessCondition",
        "unknown key (did you mean successCondition? expected one of: name, interval, initialDelay, count, "
        "successCondition, failureCondition, failureLimit, inconclusiveLimit, consecutiveErrorLimit, "
        "consecutiveSuccessLimit, provider, promoter)",
    ),
    "count-not-a-number": Refused(
        with_metric("count: many"), "17:14", f"{M}.count", "expected an integer (or a string holding one)"
    ),
    "count-from-an-argument": Refused(
        with_metric("count: '{{args.count}}'"),
        "17:15",
        f"{M}.count",
        "promoter fills arguments into queries and header values only: write the value itself "
        "(found {{args.count}} in count)",
    ),
    "interval-zero": Refused(
        replaced("interval: 5m", "interval: 0s"), "10:17", f"{M}.interval", "must be longer than 0s"
    ),
    "interval-not-a-duration": Refused(
        replaced("interval: 5m", "interval: often"),
        "10:17",
        f"{M}.interval",
        "expected a duration such as 30s, 2m, 1h30m, 500ms, or a number of seconds, found 'often'",
    ),
    "timeout-as-a-duration": Refused(
        BASE + "          timeout: 40s\n",
        "17:20",
        f"{P}.timeout",
        "timeout is a number of seconds, as in Argo Rollouts (timeout: 40)",
    ),
    "range-query": Refused(
        BASE + "          rangeQuery: {start: now() - 5m, end: now(), step: 1m}\n",
        "17:11",
        f"{P}.rangeQuery",
        "rangeQuery is not supported yet: promoter runs instant queries",
    ),
    "consecutive-success-limit": Refused(
        with_metric("consecutiveSuccessLimit: 3"),
        "17:7",
        f"{M}.consecutiveSuccessLimit",
        "consecutiveSuccessLimit is not supported yet",
    ),
    "argument-with-value-and-value-from": Refused(
        replaced(
            "    - name: service-name\n",
            "    - name: service-name\n      value: web\n      valueFrom: {secretKeyRef: {name: s, key: k}}\n",
        ),
        "9:18",
        "spec.args[0].valueFrom",
        "give value or valueFrom, not both",
    ),
    "argument-value-not-a-string": Refused(
        replaced("    - name: service-name\n", "    - name: service-name\n      value: 8080\n"),
        "8:14",
        "spec.args[0].value",
        "expected a string, found an integer",
    ),
    "dry-run-names-no-metric": Refused(
        replaced("  metrics:\n", "  dryRun: [{metricName: latency}]\n  metrics:\n"),
        "8:25",
        "spec.dryRun[0].metricName",
        "'latency' matches no metric of this template (metrics: success-rate)",
    ),
    "dry-run-bad-pattern": Refused(
        replaced("  metrics:\n", "  dryRun: [{metricName: '*'}]\n  metrics:\n"),
        "8:25",
        "spec.dryRun[0].metricName",
        "not a valid regular expression: nothing to repeat at position 0",
    ),
    "retention-names-no-metric": Refused(
        replaced("  metrics:\n", "  measurementRetention: [{metricName: errors, limit: 5}]\n  metrics:\n"),
        "8:39",
        "spec.measurementRetention[0].metricName",
        "'errors' matches no metric of this template (metrics: success-rate)",
    ),
    "retention-limit-0": Refused(
        replaced("  metrics:\n", "  measurementRetention: [{metricName: .*, limit: 0}]\n  metrics:\n"),
        "8:50",
        "spec.measurementRetention[0].limit",
        "must be at least 1",
    ),
    # promoter's own fields
    "empty-of-another-phase": Refused(
        with_metric("promoter: {empty: Error}"),
        "17:25",
        f"{M}.promoter.empty",
        "expected 'Inconclusive', 'Failed' or 'Successful'",
    ),
    "judge-confidence-of-1": Refused(
        replaced(f"      successCondition: {SUCCESS}\n", "")
        + "      promoter: {baseline: b, judge: {confidence: 1}}\n",
        "16:51",
        f"{M}.promoter.judge.confidence",
        "expected less than 1",
    ),
    "judge-direction-unknown": Refused(
        replaced(f"      successCondition: {SUCCESS}\n", "")
        + "      promoter: {baseline: b, judge: {direction: up}}\n",
        "16:50",
        f"{M}.promoter.judge.direction",
        "expected 'increase', 'decrease' or 'either'",
    ),
    "traffic-without-a-query": Refused(
        with_metric("promoter: {traffic: {minimum: 10}}"),
        "17:27",
        f"{M}.promoter.traffic.query",
        "missing (required)",
    ),
    "score-marginal-above-pass": Refused(
        replaced("  metrics:\n", "  promoter: {score: {pass: 80, marginal: 90}}\n  metrics:\n"),
        "8:42",
        "spec.promoter.score.marginal",
        "marginal is at most pass",
    ),
    # what ruamel refuses
    "not-yaml": Refused(
        replaced("  name: success-rate\n", "  name: [success-rate\n"),
        "5:5",
        "",
        "while parsing a flow sequence: expected ',' or ']', but got ':'",
    ),
    "duplicate-key": Refused(
        replaced("      interval: 5m\n", "      interval: 5m\n      interval: 1m\n"),
        "11:7",
        "",
        "duplicate key (first at line 9)",
    ),
}


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
def test_refused(tmp_path: Path, case: Refused) -> None:
    where = f"{T}:{case.where}"
    expected = f"{where}: {case.field}: {case.message}" if case.field else f"{where}: {case.message}"
    assert refused(write(tmp_path, {T: case.text})) == [expected]


def test_duplicate_names(tmp_path: Path) -> None:
    """Template names are unique per kind across files; metric and argument names within a template."""
    twice = BASE.replace("    - name: service-name\n", "    - name: service-name\n    - name: service-name\n") + (
        "    - name: success-rate\n      count: 1\n      failureCondition: result[0] < 0.5\n"
        "      provider: {prometheus: {address: 'http://p:9090', query: up}}\n"
    )
    directory = write(
        tmp_path,
        {
            "analysis/a.yaml": BASE,
            "analysis/b.yaml": BASE,
            "analysis/c.yaml": template(BASE, cluster=True),  # another kind: not a duplicate
            "analysis/d.yaml": template(twice, "twice"),
        },
    )
    assert refused(directory) == [
        f"analysis/b.yaml:4:9: metadata.name: AnalysisTemplate 'success-rate' is also defined at "
        f"{directory}/analysis/a.yaml:4:9",
        "analysis/d.yaml:8:13: spec.args[1].name: argument 'service-name' is already defined at line 7",
        "analysis/d.yaml:18:13: spec.metrics[1].name: metric 'success-rate' is already defined at line 10",
    ]


def test_every_problem_of_every_file_is_reported(tmp_path: Path) -> None:
    directory = write(
        tmp_path,
        {
            "analysis/a.yaml": BASE.replace("failureLimit: 3", "failureLimit: -1").replace("5m\n", "often\n"),
            "analysis/b.yaml": "kind: AnalysisTemplate\nmetadata: {name: [b\n",
            "analysis/c.yaml": BASE.replace("        prometheus:\n", "        promethus:\n"),
            "promoter.yaml": configdir.SETTINGS + "reconcile_interval: soon\n",
        },
    )
    duration = "expected a duration such as 30s, 2m, 1h30m, 500ms, or a number of seconds"
    assert refused(directory) == [
        f"analysis/a.yaml:10:17: {M}.interval: {duration}, found 'often'",
        f"analysis/a.yaml:12:21: {M}.failureLimit: must be at least 0",
        "analysis/b.yaml:3:1: while parsing a flow sequence: expected ',' or ']', but got '<stream end>'",
        f"analysis/c.yaml:14:9: {M}.provider.prometheus: missing (required)",
        f"analysis/c.yaml:14:9: {M}.provider.promethus: unknown key (did you mean prometheus? expected one of: "
        "prometheus)",
        f"promoter.yaml:7:21: reconcile_interval: {duration}, found 'soon'",
    ]


# where templates are used -------------------------------------------------------------------------

WEB = (("service-name", "web"),)
USE = "{templates: [{templateName: success-rate}], args: [{name: service-name, value: web}]}"


def test_rolling_analysis(tmp_path: Path) -> None:
    directory = write(tmp_path, {T: BASE}, HEAD + f"      rolling: {{analysis: {USE}}}\n")
    (stage,) = loading.load(directory).pipeline("web").stages
    assert stage.strategy == strategies.Rolling(Analysis((success_rate(directory),), WEB))


@pytest.mark.parametrize(
    "text",
    [
        HEAD + "      rolling: {}\n",
        HEAD.replace("strategy:\n", "strategy: rolling\n"),
        HEAD.removesuffix("    strategy:\n"),
    ],
    ids=["empty", "short-form", "default"],
)
def test_rolling_without_analysis_is_as_before(tmp_path: Path, text: str) -> None:
    assert strategy_of(tmp_path, text, {T: BASE}) == strategies.Rolling()


def test_canary_step_and_background(tmp_path: Path) -> None:
    """A step's analysis, and the background one (a template and a cluster template of the same name)."""
    text = (
        HEAD
        + CANARY
        + f"""\
        analysis:
          templates: [{{templateName: success-rate}}, {{templateName: success-rate, clusterScope: true}}]
          args: [{{name: service-name, value: "{{{{canary}}}}.web.svc"}}]
          startingStep: 1
        steps:
          - setWeight: 20
          - analysis: {USE}
          - setWeight: 50
"""
    )
    shared = "analysis/cluster.yaml"
    errors = template(BASE.replace("    - name: success-rate\n", "    - name: errors\n"), cluster=True)
    directory = write(tmp_path, {T: BASE, shared: errors}, text)
    (stage,) = loading.load(directory).pipeline("web").stages
    local, cluster = success_rate(directory), success_rate(directory, file=shared, cluster=True)
    cluster = dataclasses.replace(cluster, metrics=(dataclasses.replace(cluster.metrics[0], name="errors"),))
    assert stage.strategy == Canary(
        (WORKLOAD,),
        (SetWeight(20), AnalysisStep(Analysis((local,), WEB)), SetWeight(50)),
        background=Background(Analysis((local, cluster), (("service-name", "{{canary}}.web.svc"),)), starting_step=1),
    )


def test_background_from_the_first_step_by_default(tmp_path: Path) -> None:
    directory = write(tmp_path, {T: BASE}, HEAD + CANARY + f"        analysis: {USE}\n")
    (stage,) = loading.load(directory).pipeline("web").stages
    assert isinstance(stage.strategy, Canary)
    assert stage.strategy.background == Background(Analysis((success_rate(directory),), WEB), starting_step=0)


def test_blue_green_pre_and_post_promotion(tmp_path: Path) -> None:
    text = BG_HEAD + BLUE_GREEN + f"        prePromotionAnalysis: {USE}\n        postPromotionAnalysis: {USE}\n"
    directory = write(tmp_path, {T: BASE}, text)
    (stage,) = loading.load(directory).pipeline("web").stages
    assert isinstance(stage.strategy, BlueGreen)
    expected = Analysis((success_rate(directory),), WEB)
    assert (stage.strategy.pre_promotion_analysis, stage.strategy.post_promotion_analysis) == (expected, expected)


def test_arguments_given_where_used_override_the_templates(tmp_path: Path) -> None:
    defaults = BASE.replace("    - name: service-name\n", "    - name: service-name\n      value: web\n")
    use = "{templates: [{templateName: success-rate}], args: [{name: service-name, value: 'web-{{stage}}'}]}"
    strategy = strategy_of(tmp_path, HEAD + f"      rolling: {{analysis: {use}}}\n", {T: defaults})
    assert isinstance(strategy, strategies.Rolling)
    assert strategy.analysis is not None
    assert strategy.analysis.args == (("service-name", "web-{{stage}}"),)
    assert strategy.analysis.templates[0].args == (Arg("service-name", "web"),)
    # a default is enough
    plain = strategy_of(
        tmp_path / "b", HEAD + "      rolling: {analysis: {templates: [{templateName: success-rate}]}}\n", {T: defaults}
    )
    assert isinstance(plain, strategies.Rolling)
    assert plain.analysis is not None
    assert plain.analysis.args == ()


# where used, refused: the rolling analysis is at line 7 ("      rolling: {analysis: {templates: [" + ...)


def rolling(use: str) -> str:
    return HEAD + f"      rolling: {{analysis: {use}}}\n"


S = "stages[0].strategy"
A = f"{S}.rolling.analysis"
ARGS = "args: [{name: service-name, value: web}]"

USED_REFUSED = {
    "unknown-template": (
        {T: BASE, "analysis/e.yaml": template(BASE, "errors")},
        rolling(f"{{templates: [{{templateName: succes-rate}}], {ARGS}}}"),
        [
            f"pipelines/web.yaml:7:55: {A}.templates[0].templateName: "
            "no AnalysisTemplate 'succes-rate' (available: errors, success-rate)"
        ],
    ),
    "no-templates-at-all": (
        {},
        rolling("{templates: [{templateName: success-rate}]}"),
        [
            f"pipelines/web.yaml:7:55: {A}.templates[0].templateName: "
            "no AnalysisTemplate 'success-rate' (there is none in analysis/)"
        ],
    ),
    "a-cluster-template-without-cluster-scope": (
        {T: template(BASE, cluster=True)},
        rolling(f"{{templates: [{{templateName: success-rate}}], {ARGS}}}"),
        [
            f"pipelines/web.yaml:7:55: {A}.templates[0].templateName: no AnalysisTemplate 'success-rate' "
            "(there is none in analysis/); there is a ClusterAnalysisTemplate 'success-rate': add clusterScope: true"
        ],
    ),
    "cluster-scope-for-a-template": (
        {T: BASE},
        rolling(f"{{templates: [{{templateName: success-rate, clusterScope: true}}], {ARGS}}}"),
        [
            f"pipelines/web.yaml:7:55: {A}.templates[0].templateName: no ClusterAnalysisTemplate 'success-rate' "
            "(there is none in analysis/); there is an AnalysisTemplate 'success-rate': remove clusterScope"
        ],
    ),
    "missing-argument": (
        {T: BASE},
        rolling("{templates: [{templateName: success-rate}]}"),
        [
            f"pipelines/web.yaml:7:40: {A}.templates[0]: template 'success-rate' needs argument 'service-name': "
            "give it in args (args: [{name: service-name, value: ...}])"
        ],
    ),
    "argument-no-template-declares": (
        {T: BASE},
        rolling(
            "{templates: [{templateName: success-rate}], args: [{name: service-name, value: web}, {name: port, value: '80'}]}"
        ),
        [f"pipelines/web.yaml:7:119: {A}.args[1].name: no template here declares argument 'port' (success-rate)"],
    ),
    "argument-given-twice": (
        {T: BASE},
        rolling(
            "{templates: [{templateName: success-rate}], args: [{name: service-name, value: a}, {name: service-name, value: b}]}"
        ),
        [f"pipelines/web.yaml:7:117: {A}.args[1].name: argument 'service-name' is given twice"],
    ),
    "argument-without-a-value": (
        {T: BASE},
        rolling("{templates: [{templateName: success-rate}], args: [{name: service-name}]}"),
        [f"pipelines/web.yaml:7:78: {A}.args[0].value: missing (required)"],
    ),
    "argument-from-the-pod-template-hash": (
        {T: BASE},
        rolling(
            "{templates: [{templateName: success-rate}], args: [{name: service-name, valueFrom: {podTemplateHashValue: Latest}}]}"
        ),
        [f"pipelines/web.yaml:7:110: {A}.args[0].valueFrom: {OUTSIDE}"],
    ),
    "argument-with-an-unknown-placeholder": (
        {T: BASE},
        rolling("{templates: [{templateName: success-rate}], args: [{name: service-name, value: '{{ canary }}'}]}"),
        [
            f"pipelines/web.yaml:7:106: {A}.args[0].value: "
            "a value may hold {{version}}, {{stage}}, {{canary}}, {{stable}}; found {{ canary }}"
        ],
    ),
    "a-secret-argument-given": (
        {
            T: BASE.replace(
                "    - name: service-name\n",
                "    - name: service-name\n    - name: token\n      valueFrom: {secretKeyRef: {name: prom, key: token}}\n",
            )
        },
        rolling(
            "{templates: [{templateName: success-rate}], args: [{name: service-name, value: a}, {name: token, value: b}]}"
        ),
        [
            f"pipelines/web.yaml:7:117: {A}.args[1].name: argument 'token' is a secret (secretKeyRef) in template "
            "'success-rate': it cannot be given here"
        ],
    ),
    "dry-run-where-used": (
        {T: BASE},
        rolling(f"{{templates: [{{templateName: success-rate}}], {ARGS}, dryRun: [{{metricName: .*}}]}}"),
        [
            f"pipelines/web.yaml:7:121: {A}.dryRun: promoter reads dryRun from the templates: write it in their "
            "spec.dryRun"
        ],
    ),
    "two-templates-with-the-same-metric": (
        {T: BASE, "analysis/copy.yaml": template(BASE, "copy")},
        rolling(f"{{templates: [{{templateName: success-rate}}, {{templateName: copy}}], {ARGS}}}"),
        [
            f"pipelines/web.yaml:7:70: {A}.templates[1]: metric 'success-rate' is in templates 'success-rate' and "
            "'copy': one analysis merges its templates, so their metric names must differ"
        ],
    ),
    "the-same-template-twice": (
        {T: BASE},
        rolling(f"{{templates: [{{templateName: success-rate}}, {{templateName: success-rate}}], {ARGS}}}"),
        [f"pipelines/web.yaml:7:70: {A}.templates[1]: template 'success-rate' is named twice"],
    ),
    "a-refused-template-is-reported-once": (  # at itself: its use adds nothing
        {T: BASE.replace("failureLimit: 3", "failureLimit: -3")},
        rolling(f"{{templates: [{{templateName: success-rate}}], {ARGS}}}"),
        [f"{T}:12:21: {M}.failureLimit: must be at least 0"],
    ),
    "starting-step-beyond-the-steps": (
        {T: BASE},
        HEAD
        + CANARY
        + f"        steps: [{{setWeight: 20}}, {{pause: {{}}}}]\n        analysis: {USE[:-1]}, startingStep: 2}}\n",
        [
            f"pipelines/web.yaml:10:119: {S}.canary.analysis.startingStep: startingStep 2 is not a step "
            "(steps are counted from 0: 0 to 1)"
        ],
    ),
    "starting-step-without-steps": (
        {T: BASE},
        HEAD + CANARY + f"        analysis: {USE[:-1]}, startingStep: 0}}\n",
        [
            f"pipelines/web.yaml:9:119: {S}.canary.analysis.startingStep: startingStep 0 is not a step "
            "(steps are counted from 0: there are no steps)"
        ],
    ),
    "analysis-without-templates": (
        {T: BASE},
        rolling("{templates: []}"),
        [f"pipelines/web.yaml:7:39: {A}.templates: must not be empty"],
    ),
    "analysis-with-nothing": (
        {T: BASE},
        HEAD + "      rolling: {analysis: }\n",
        [f"pipelines/web.yaml:7:17: {S}.rolling.analysis: expected a mapping, found nothing (null)"],
    ),
}


@pytest.mark.parametrize(("files", "pipeline", "expected"), USED_REFUSED.values(), ids=USED_REFUSED.keys())
def test_refused_where_used(tmp_path: Path, files: dict[str, str], pipeline: str, expected: list[str]) -> None:
    assert refused(write(tmp_path, files, pipeline)) == expected


# warnings -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("len(result) == 0 || result[0] >= 0.95", EMPTY_PASSES),
        ("isNaN(result[0]) || result[0] >= 0.95", NAN_PASSES),
        ("all(result, # >= 0.95)", EMPTY_PASSES),  # all() of nothing is true
        ("result[0] >= 0.95", None),  # the probe fails to evaluate: no warning
        ("default(result[0], 0) >= 0.95", None),
        ("len(result) == 0 || result[0] >= baseline[0]", EMPTY_PASSES),
        ("result[0] >= baseline[0]", None),
    ],
)
def test_a_condition_that_passes_on_nothing_is_a_warning(tmp_path: Path, condition: str, expected: str | None) -> None:
    directory = write(tmp_path, {T: BASE.replace(SUCCESS, f"'{condition}'")})
    config = loading.load(directory)
    assert config.warnings == ((ConfigWarning(directory / T, 11, expected),) if expected else ())


def test_no_warning_when_the_template_says_what_empty_means(tmp_path: Path) -> None:
    text = BASE.replace(SUCCESS, "len(result) == 0 || result[0] >= 0.95") + "      promoter: {empty: Successful}\n"
    assert loading.load(write(tmp_path, {T: text})).warnings == ()


def test_warnings_come_with_the_problems(tmp_path: Path) -> None:
    directory = write(
        tmp_path,
        {T: BASE.replace(SUCCESS, "len(result) == 0 || result[0] >= 0.95")},
        rolling("{templates: [{templateName: success-rate}]}"),
    )
    with pytest.raises(loading.RefusedConfig) as caught:
        loading.load(directory)
    assert caught.value.warnings == (ConfigWarning(directory / T, 11, EMPTY_PASSES),)
    assert len(caught.value.problems) == 1


def test_the_probe_uses_nan_as_a_scalar_too() -> None:
    condition = conditions.parse("isNaN(result)")
    assert conditions.evaluate(condition, {"result": math.nan})


# promoter validate --------------------------------------------------------------------------------


def test_validate_prints_warnings_and_problems(tmp_path: Path) -> None:
    """A warning line for the template, a problem line for the pipeline; the exit code is the problems'."""
    warned = BASE.replace(SUCCESS, "len(result) == 0 || result[0] >= 0.95")
    directory = write(tmp_path, {T: warned}, rolling("{templates: [{templateName: success-rate}]}"))
    result = CliRunner().invoke(
        validate.validate, ["--offline", "--config", str(directory)], env={"PROMOTER_CONFIG": None}
    )
    assert result.exit_code == validate.REFUSED
    assert result.stdout == ""
    assert result.stderr == (
        f"promoter: warning: {directory}/{T}:11: {EMPTY_PASSES}\n"
        f"{directory}/pipelines/web.yaml:7:40: {A}.templates[0]: template 'success-rate' needs argument "
        "'service-name': give it in args (args: [{name: service-name, value: ...}])\n"
        f"promoter: 1 problem in {directory}\n"
    )

    fixed = write(tmp_path / "fixed", {T: warned}, rolling(USE))
    result = CliRunner().invoke(validate.validate, ["--offline", "--config", str(fixed)], env={"PROMOTER_CONFIG": None})
    assert result.exit_code == 0, result.output
    assert result.stderr == f"promoter: warning: {fixed}/{T}:11: {EMPTY_PASSES}\n"
    assert result.stdout.startswith(f"{fixed}: 1 pipeline, 1 stage, 1 application\n")


# templates the config repo keeps (analysis.templates_in_repo) ----------------------------------------

IN_REPO = configdir.SETTINGS + "analysis:\n  templates_in_repo:\n    paths: [rollouts/analysis]\n"
ROLLING_USE = HEAD + f"      rolling: {{analysis: {USE}}}\n"


def reader(files: dict[str, str]) -> loading.ReadRepoTemplates:
    """What the bot's reader gives for a repo holding ``files`` on main (promoter.cli.wiring reads a real
    clone, end to end in tests/e2e/test_analysis.py): the texts by ``main:PATH``."""

    def read(loaded: object) -> list[tuple[Path, str]]:
        return [(Path(f"main:{path}"), text) for path, text in files.items()]

    return read


def test_a_template_of_the_config_repo_is_used_as_one_of_the_config_directory(tmp_path: Path) -> None:
    directory = write(tmp_path, {"promoter.yaml": IN_REPO}, ROLLING_USE)
    config = loading.load(directory, reader({"rollouts/analysis/t.yaml": BASE}))
    (stage,) = config.pipeline("web").stages
    (used,) = strategies.analyses(stage.strategy)
    (metric,) = used.metrics
    assert used.templates[0].name == "success-rate" and metric.source == Source("main:rollouts/analysis/t.yaml", 9)
    assert config.unread is None


def test_a_repo_templates_problem_names_branch_path_line_and_column(tmp_path: Path) -> None:
    directory = write(tmp_path, {"promoter.yaml": IN_REPO, T: BASE}, ROLLING_USE)
    bad = BASE.replace("result[0] >= 0.95", "result[0] >=")
    with pytest.raises(ConfigError) as caught:
        loading.load(directory, reader({"rollouts/analysis/bad.yaml": template(bad, "bad"), "rollouts/t.yaml": BASE}))
    problems = [str(p).removeprefix(f"{directory}/") for p in caught.value.problems]
    assert problems[0] == (
        "main:rollouts/analysis/bad.yaml:11:37: spec.metrics[0].successCondition: not a valid condition: "
        "unexpected end of condition"
    )
    # the same name in the config directory and in the repo: which one is meant cannot be told
    assert problems[1] == (
        f"main:rollouts/t.yaml:4:9: metadata.name: AnalysisTemplate 'success-rate' is also defined at "
        f"{directory}/analysis/t.yaml:4:9"
    )


def test_a_reader_that_fails_is_a_problem_of_the_settings(tmp_path: Path) -> None:
    directory = write(tmp_path, {"promoter.yaml": IN_REPO}, ROLLING_USE)
    with pytest.raises(ConfigError) as caught:
        loading.load(directory, lambda _: "analysis.templates_in_repo: cannot read the config repo's main: down")
    assert [str(p) for p in caught.value.problems] == [
        f"{directory}/promoter.yaml: analysis.templates_in_repo: cannot read the config repo's main: down"
    ]


def test_not_read_a_reference_is_left_unchecked_and_no_runtime_is_built(tmp_path: Path) -> None:
    directory = write(tmp_path, {"promoter.yaml": IN_REPO}, ROLLING_USE)
    config = loading.load(directory)  # validate --offline
    assert config.unread == "the config repo's templates (main:rollouts/analysis) were not read"
    with pytest.raises(PermanentError, match="load the config with the repo's templates"):
        wiring.runtime(config, {})
    # without templates_in_repo, an unknown name is refused as before, naming where it was looked for
    plain = write(tmp_path / "plain", {}, ROLLING_USE)
    assert any("there is none in analysis/" in p for p in refused(plain))
    assert any("there is none in analysis/ or main:rollouts/analysis" in p for p in refused_with(directory, {}))


def refused_with(directory: Path, files: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        loading.load(directory, reader(files))
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[/etc/templates]", "'/etc/templates': a path inside the config repo, relative to its root"),
        ("[a/../../b]", "'a/../../b': a path inside the config repo, relative to its root"),
        ("[]", "must not be empty"),
    ],
)
def test_repo_template_paths_are_inside_the_repo(tmp_path: Path, value: str, message: str) -> None:
    text = configdir.SETTINGS + f"analysis:\n  templates_in_repo:\n    paths: {value}\n"
    problems = refused(write(tmp_path, {"promoter.yaml": text}))
    assert len(problems) == 1 and problems[0].startswith("promoter.yaml:9:12: analysis.templates_in_repo.paths: ")
    assert message in problems[0]


def test_the_address_setting_must_be_a_url(tmp_path: Path) -> None:
    text = configdir.SETTINGS + "analysis:\n  address: prometheus:9090\n"
    (problem,) = refused(write(tmp_path, {"promoter.yaml": text}))
    assert problem == "promoter.yaml:8:12: analysis.address: expected an http:// or https:// URL"


SECRET = BASE.replace(
    "    - name: service-name\n",
    "    - name: service-name\n    - name: api-token\n      valueFrom:\n        secretKeyRef: {name: prometheus, key: token}\n",
).replace(
    "      provider:\n        prometheus:\n",
    "      provider:\n        prometheus:\n          headers:\n"
    "            - {key: Authorization, value: 'Bearer {{args.api-token}}'}\n",
)


def test_a_secret_argument_is_read_from_the_environment_when_a_query_needs_it(tmp_path: Path) -> None:
    directory = write(tmp_path, {T: SECRET}, HEAD + f"      rolling: {{analysis: {USE}}}\n")
    pipelines = loading.load(directory).pipelines
    secret = wiring.analysis_secrets(pipelines, {"PROMOTER_SECRET_PROMETHEUS_TOKEN": "t0ken"})
    assert secret("api-token") == "t0ken"
    with pytest.raises(
        PermanentError, match=r"api-token \(prometheus/token\) needs \$PROMOTER_SECRET_PROMETHEUS_TOKEN"
    ):
        wiring.analysis_secrets(pipelines, {})("api-token")  # named, never guessed; the value is never in a message
    with pytest.raises(PermanentError, match="service-name is not a secret argument"):
        secret("service-name")
