"""Repo scan benchmark: every image reference and every Application of a generated 5,000-file config repo.

Targets (DESIGN.md §13): <= 0.6 s and <= 150 MB. The time is the whole scan as ``promoter apps --images`` runs
it, listing and reading the files from disk (``/dev/shm``) included, median of 5 runs in one process, each with
the scan's caches emptied first (a first reading, as in a fresh process); beside it, measured at the same
moment, the issue's yardstick (a regex pass over the same files) and the slow path (every file parsed); and the
command that prints it all, ``promoter apps DIR --json --images``, in a fresh process (Python's start, the
imports, the Applications' discovery with the image scan beside it in a forked child, and the JSON included). The memory is the peak RSS growth of a fresh process that scans once: its VmHWM minus an idle process's with the
same imports (``ru_maxrss`` would not do: on Linux it carries the forking parent's peak across exec).

The repo is generated with a fixed seed: Deployments, StatefulSets and CronJobs with one to three containers,
Services, ConfigMaps, kustomizations with ``images:`` and inline patches, Helm values files (``image:``
strings and ``{repository, tag}`` mappings), Applications (single and multi-source) and ApplicationSets,
multi-document files, a few large files (a CRD bundle, a vendored Argo CD-like install manifest, a large
values file, Grafana dashboards in JSON), Helm chart templates, and files that are not YAML at all.

Run: .venv/bin/python -m tests.perf.bench_scan
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from promoter.cli import checkoutfiles
from promoter.gitops import scan

TARGET_SECONDS = 0.6
TARGET_MB = 150.0
ENVS = ("dev", "staging", "prod")
REGISTRIES = ("ghcr.io/acme", "registry.example.com/platform", "docker.io/acme", "quay.io/acme", "acme")
SIDECARS = ("envoyproxy/envoy:v1.31.0", "fluent/fluent-bit:3.1.4", "otel/opentelemetry-collector:0.104.0")
DIGEST = "sha256:" + "0123456789abcdef" * 4


# ---------------------------------------------------------------------------------------------------
# the generated repo


def _container(rng: random.Random, name: str, image: str, indent: str) -> str:
    lines = [
        f"- name: {name}",
        f"  image: {image}",
        "  imagePullPolicy: IfNotPresent",
        "  ports:",
        "    - name: http",
        f"      containerPort: {rng.choice((8080, 8443, 9000, 3000))}",
        "      protocol: TCP",
        "  env:",
    ]
    for i in range(rng.randint(2, 8)):
        lines += [f"    - name: VAR_{i}", f'      value: "{rng.randint(0, 10**6)}"']
    lines += [
        "    - name: POD_NAME",
        "      valueFrom:",
        "        fieldRef: {fieldPath: metadata.name}",
        "  readinessProbe:",
        "    httpGet: {path: /ready, port: http}",
        f"    periodSeconds: {rng.choice((5, 10))}",
        "  livenessProbe:",
        "    httpGet:",
        "      path: /live",
        "      port: http",
        "  resources:",
        f"    requests: {{cpu: {rng.choice((50, 100, 250))}m, memory: {rng.choice((64, 128, 256))}Mi}}",
        f"    limits: {{memory: {rng.choice((256, 512, 1024))}Mi}}",
        "  volumeMounts:",
        "    - name: config",
        "      mountPath: /etc/app",
        "      readOnly: true",
    ]
    return "".join(f"{indent}{line}\n" for line in lines)


def _pod_spec(rng: random.Random, service: str, image: str, indent: str) -> str:
    text = f"{indent}serviceAccountName: {service}\n{indent}terminationGracePeriodSeconds: 30\n"
    if rng.random() < 0.3:
        text += f"{indent}initContainers:\n" + _container(rng, "migrate", image, indent + "  ")
    text += f"{indent}containers:\n" + _container(rng, service, image, indent + "  ")
    for sidecar in rng.sample(SIDECARS, rng.randint(0, 2)):
        text += _container(rng, sidecar.split("/")[1].split(":")[0], sidecar, indent + "  ")
    text += f"{indent}volumes:\n{indent}  - name: config\n{indent}    configMap:\n{indent}      name: {service}\n"
    return text


def _workload(rng: random.Random, service: str, image: str) -> str:
    labels = f"    app.kubernetes.io/name: {service}\n    app.kubernetes.io/part-of: shop\n"
    kind = rng.choices(("Deployment", "StatefulSet", "CronJob"), (6, 2, 1))[0]
    head = f"# {service}: managed by promoter\napiVersion: {'batch/v1' if kind == 'CronJob' else 'apps/v1'}\n"
    head += f"kind: {kind}\nmetadata:\n  name: {service}\n  labels:\n{labels}spec:\n"
    if kind == "CronJob":
        return (
            head
            + f'  schedule: "*/{rng.randint(5, 30)} * * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n'
            + "          restartPolicy: OnFailure\n"
            + _pod_spec(rng, service, image, "          ")
        )
    extra = f"  serviceName: {service}\n" if kind == "StatefulSet" else "  strategy:\n    type: RollingUpdate\n"
    return (
        head
        + f"  replicas: {rng.randint(1, 6)}\n{extra}  selector:\n    matchLabels:\n      app.kubernetes.io/name: {service}\n"
        + f"  template:\n    metadata:\n      labels:\n  {labels.replace(chr(10) + '    ', chr(10) + '      ')}"
        + '      annotations:\n        prometheus.io/scrape: "true"\n    spec:\n'
        + _pod_spec(rng, service, image, "      ")
    )


def _service(service: str) -> str:
    return (
        f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {service}\n  labels:\n    app.kubernetes.io/name: {service}\n"
        f"spec:\n  type: ClusterIP\n  selector:\n    app.kubernetes.io/name: {service}\n"
        "  ports:\n    - name: http\n      port: 80\n      targetPort: http\n"
    )


def _configmap(rng: random.Random, service: str) -> str:
    lines = "".join(f"      key_{i}: {rng.randint(0, 10**9)}\n" for i in range(rng.randint(5, 40)))
    return (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {service}\ndata:\n  LOG_LEVEL: info\n"
        f'  FEATURES: "a=true,b=false"\n  config.yaml: |\n    server:\n      port: 8080\n    settings:\n{lines}'
    )


def _small(kind: str, service: str, body: str) -> str:
    api = {"HorizontalPodAutoscaler": "autoscaling/v2", "PodDisruptionBudget": "policy/v1"}.get(kind, "v1")
    return f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {service}\n{body}"


def _base_kustomization(resources: list[str]) -> str:
    listed = "".join(f"  - {name}\n" for name in resources)
    return f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n{listed}"


def _overlay(rng: random.Random, service: str, image: str, env: str) -> str:
    name, _, _ = image.rpartition(":")
    text = f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {env}\nresources:\n  - ../../base\n"
    text += f"images:\n  - name: {name}\n"
    roll = rng.random()
    if roll < 0.6:
        text += f"    newTag: 1.{rng.randint(0, 40)}.{rng.randint(0, 9)}\n"
    elif roll < 0.8:
        text += f"    newName: mirror.example.com/{name.rsplit('/', 1)[-1]}\n    newTag: '1.{rng.randint(0, 9)}'\n"
    else:
        text += f"    digest: {DIGEST}\n"
    if rng.random() < 0.3:
        text += f"  - name: {SIDECARS[0].split(':')[0]}\n    newTag: v1.32.0\n"
    text += "patches:\n  - path: patch-replicas.yaml\n"
    if rng.random() < 0.25:
        text += (
            f"  - target:\n      kind: Deployment\n      name: {service}\n    patch: |-\n"
            f"      - op: replace\n        path: /spec/template/spec/containers/0/image\n        value: {image}\n"
        )
    return text


def _values(rng: random.Random, service: str, image: str) -> str:
    name, _, tag = image.rpartition(":")
    if rng.random() < 0.6:
        registry, _, repository = name.partition("/")
        image_block = (
            f'image:\n  registry: {registry}\n  repository: {repository}\n  tag: "{tag}"\n  pullPolicy: IfNotPresent\n'
        )
    else:
        image_block = f"image: {image}\n"
    sidecar = rng.choice(SIDECARS)
    return (
        f"# Values for {service}\nreplicaCount: {rng.randint(1, 5)}\n{image_block}"
        f'nameOverride: ""\nserviceAccount:\n  create: true\n  name: {service}\n'
        f"podAnnotations: {{}}\nservice:\n  type: ClusterIP\n  port: 80\n"
        f"ingress:\n  enabled: {str(rng.random() < 0.5).lower()}\n  hosts:\n    - host: {service}.example.com\n"
        "      paths: [{path: /, pathType: Prefix}]\n"
        f"resources:\n  limits: {{cpu: 500m, memory: 512Mi}}\n"
        f"sidecars:\n  - name: proxy\n    image: {sidecar}\n"
        f"metrics:\n  exporter:\n    image:\n      repository: prom/statsd-exporter\n      tag: v0.26.1\n"
    )


def _application(rng: random.Random, service: str, env: str, shape: int) -> str:
    head = (
        f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {service}-{env}\n  namespace: argocd\n"
        f"  finalizers: [resources-finalizer.argocd.argoproj.io]\n  labels:\n    team: team-{rng.randint(0, 16)}\n"
        f"spec:\n  project: default\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: {env}\n"
        "  syncPolicy:\n    automated: {prune: true, selfHeal: true}\n    syncOptions: [CreateNamespace=true]\n"
    )
    repo = "https://github.com/acme/config.git"
    if shape == 0:
        return (
            head
            + f"  source:\n    repoURL: {repo}\n    targetRevision: main\n    path: apps/{service}/overlays/{env}\n"
        )
    if shape == 1:
        return (
            head
            + f"  sources:\n    - repoURL: https://charts.example.com\n      chart: {service}\n      targetRevision: 1.2.3\n"
            f"      helm:\n        valueFiles: [$values/helm/{service}/values-{env}.yaml]\n"
            f"    - repoURL: {repo}\n      targetRevision: main\n      ref: values\n"
        )
    return (
        head + f"  source:\n    repoURL: {repo}\n    targetRevision: main\n    path: apps/{service}/overlays/{env}\n"
        f"    kustomize:\n      images:\n        - ghcr.io/acme/{service}:1.{rng.randint(0, 9)}.0\n"
        "    helm:\n      parameters:\n        - {name: image.repository, value: ghcr.io/acme/x}\n"
        "        - {name: image.tag, value: 2.0.0}\n"
    )


def _application_set(team: int, services: list[str]) -> str:
    elements = "".join(f"          - service: {s}\n            env: {e}\n" for s in services for e in ENVS)
    return (
        f"apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: team-{team}\n  namespace: argocd\n"
        "spec:\n  goTemplate: true\n  generators:\n    - list:\n        elements:\n"
        f"{elements}  template:\n    metadata:\n      name: '{{{{.service}}}}-{{{{.env}}}}'\n    spec:\n"
        "      project: default\n      source:\n        repoURL: https://github.com/acme/config.git\n"
        "        targetRevision: main\n        path: 'apps/{{.service}}/overlays/{{.env}}'\n"
        "      destination:\n        server: https://kubernetes.default.svc\n        namespace: '{{.env}}'\n"
    )


def _schema(rng: random.Random, depth: int, indent: str) -> str:
    """An OpenAPI schema in the style of a CRD's: pod templates give ``image:`` properties."""
    text = ""
    for name in rng.sample(
        ("image", "name", "args", "command", "env", "ports", "resources", "selector", "replicas", "labels", "value"),
        rng.randint(3, 6),
    ):
        text += f"{indent}{name}:\n{indent}  description: The {name} of the object; see the {name} field docs.\n"
        if depth and rng.random() < 0.6:
            text += f"{indent}  type: object\n{indent}  properties:\n" + _schema(rng, depth - 1, indent + "    ")
        else:
            text += f"{indent}  type: {rng.choice(('string', 'integer', 'boolean'))}\n"
    return text


def _crd(rng: random.Random, kind: str, target: int) -> str:
    text = (
        f"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: {kind.lower()}s.example.com\n"
        f"spec:\n  group: example.com\n  names:\n    kind: {kind}\n    plural: {kind.lower()}s\n  scope: Namespaced\n"
        "  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema:\n"
        "          type: object\n          properties:\n"
    )
    part = 0
    while len(text) < target:
        text += f"            part{part}:\n              type: object\n              properties:\n"
        text += _schema(rng, 4, "                ")
        part += 1
    return text


def _install(rng: random.Random, scale: float) -> str:
    """A vendored install manifest: CRDs, including Argo CD's Application, then workloads."""
    docs = [
        _crd(rng, kind, int(size * scale)) for kind, size in (("Application", 300_000), ("ApplicationSet", 200_000))
    ]
    docs.append(_crd(rng, "AppProject", int(60_000 * scale)))
    for name in ("server", "repo-server", "application-controller", "dex", "redis", "notifications"):
        docs.append(_workload(rng, f"argocd-{name}", f"quay.io/argoproj/argocd:v2.{rng.randint(9, 13)}.0"))
        docs.append(_service(f"argocd-{name}"))
        docs.append(_small("ServiceAccount", f"argocd-{name}", ""))
    return "---\n".join(docs)


def _dashboard(rng: random.Random, panels: int) -> str:
    return json.dumps(
        {
            "title": f"Dashboard {rng.randint(0, 999)}",
            "panels": [
                {
                    "id": i,
                    "type": "timeseries",
                    "title": f"Requests {i}",
                    "targets": [{"expr": f'sum(rate(http_requests_total{{job="svc-{i}"}}[5m]))', "refId": "A"}],
                    "gridPos": {"h": 8, "w": 12, "x": (i % 2) * 12, "y": i * 8},
                }
                for i in range(panels)
            ],
        },
        indent=2,
    )


ODD = (
    # anchors and aliases
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {service}-worker\nspec:\n  template:\n    spec:\n"
    "      containers:\n        - &main\n          name: worker\n          image: {image}\n        - <<: *main\n"
    "          name: worker-2\n",
    # JSON
    '{{"apiVersion": "batch/v1", "kind": "Job", "metadata": {{"name": "{service}-migrate"}}, "spec": {{"template": '
    '{{"spec": {{"restartPolicy": "Never", "containers": [{{"name": "migrate", "image": "{image}"}}]}}}}}}}}\n',
    # a multi-line description and a folded block
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {service}-debug\n  annotations:\n    description: a pod to debug\n"
    "      the image of {service}\n    notes: >\n      folded\n      text\nspec:\n  containers:\n"
    '    - name: debug\n      image: "{image}"\n',
    # a BOM and a TAB
    "\ufeffapiVersion: v1\nkind: Pod\nmetadata:\n  name: {service}-tab\nspec:\n  containers:\n"
    "    - name: main\t\n      image: {image}\n",
)
CHART_TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "app.fullname" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
spec:
  template:
    spec:
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
"""
README = """\
# {service}

Deployed by Argo CD from `apps/{service}`. To pin a version by hand:

```yaml
image: ghcr.io/acme/{service}:1.2.3
```
"""


def repo(files: int = 5000, seed: int = 7, scale: float = 1.0) -> dict[str, bytes]:
    """A config repository of ``files`` files (path -> bytes), the same for the same seed; ``scale`` sizes
    the large files (1.0: about 1 MB for the install manifest)."""
    rng = random.Random(seed)
    out: dict[str, bytes] = {}
    files -= 17  # the ApplicationSets, one per team, come last

    def put(path: str, text: str, crlf: bool = False) -> None:
        if len(out) < files:
            out[path] = (text.replace("\n", "\r\n") if crlf else text).encode()

    put("platform/argocd/install.yaml", _install(rng, scale))
    put(
        "platform/crds/rollouts.yaml",
        "---\n".join(_crd(rng, k, int(150_000 * scale)) for k in ("Rollout", "Experiment")),
    )
    tenants = "".join(
        f"tenant{i}:\n"
        + _values(rng, f"tenant-{i}", f"ghcr.io/acme/t{i}:1.0.{i}").replace("\n", "\n  ").rstrip()
        + "\n"
        for i in range(int(250 * scale))
    )
    put("platform/values-big.yaml", tenants)
    for i in range(4):
        put(f"dashboards/board-{i}.json", _dashboard(rng, int(400 * scale)))
    put("README.md", README.format(service="config"))
    put(".gitignore", "*.swp\n.idea/\n")
    put("scripts/render.sh", '#!/bin/sh\nset -eu\nkustomize build "$1" | kubectl apply --dry-run=client -f -\n')
    service = 0
    team_services: dict[int, list[str]] = {}
    while len(out) < files:
        name = f"svc-{service:04d}"
        image = f"{rng.choice(REGISTRIES)}/{name}:1.{rng.randint(0, 40)}.{rng.randint(0, 9)}"
        crlf = rng.random() < 0.02
        base = f"apps/{name}/base"
        if rng.random() < 0.15:  # everything in one multi-document file
            docs = [_workload(rng, name, image), _service(name), _configmap(rng, name)]
            put(f"{base}/all.yaml", "---\n".join(docs), crlf)
            put(f"{base}/kustomization.yaml", _base_kustomization(["all.yaml"]))
        else:
            put(f"{base}/workload.yaml", _workload(rng, name, image), crlf)
            put(f"{base}/service.yaml", _service(name))
            put(f"{base}/configmap.yaml", _configmap(rng, name))
            put(
                f"{base}/hpa.yaml",
                _small("HorizontalPodAutoscaler", name, "spec:\n  minReplicas: 2\n  maxReplicas: 10\n"),
            )
            put(f"{base}/pdb.yaml", _small("PodDisruptionBudget", name, "spec:\n  maxUnavailable: 1\n"))
            put(f"{base}/serviceaccount.yaml", _small("ServiceAccount", name, ""))
            resources = [
                "workload.yaml",
                "service.yaml",
                "configmap.yaml",
                "hpa.yaml",
                "pdb.yaml",
                "serviceaccount.yaml",
            ]
            put(f"{base}/kustomization.yaml", _base_kustomization(resources))
        for env in ENVS:
            put(f"apps/{name}/overlays/{env}/kustomization.yaml", _overlay(rng, name, image, env))
            put(
                f"apps/{name}/overlays/{env}/patch-replicas.yaml",
                f"- op: replace\n  path: /spec/replicas\n  value: {rng.randint(1, 9)}\n",
            )
            put(f"helm/{name}/values-{env}.yaml", _values(rng, name, image))
        if rng.random() < 0.3:
            put(f"apps/{name}/README.md", README.format(service=name))
        if rng.random() < 0.04:  # what the line reader leaves to the parser: anchors, JSON, multi-line text
            odd = rng.choice(ODD)
            put(f"apps/{name}/extra.{'json' if odd.startswith('{') else 'yaml'}", odd.format(service=name, image=image))
        if rng.random() < 0.05:
            put(f"charts/{name}/Chart.yaml", f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
            put(f"charts/{name}/templates/deployment.yaml", CHART_TEMPLATE)
        team = rng.randint(0, 16)
        if rng.random() < 0.7:
            apps = [_application(rng, name, env, rng.randint(0, 2)) for env in ENVS]
            put(f"argocd/apps/{name}.yaml", "---\n".join(apps))
        else:
            team_services.setdefault(team, []).append(name)
        service += 1
    for team in range(17):
        out[f"argocd/appsets/team-{team}.yaml"] = _application_set(team, team_services.get(team, [])).encode()
    return out


def write(files: dict[str, bytes], root: Path) -> None:
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


# ---------------------------------------------------------------------------------------------------
# measuring


def read_tree(root: Path) -> Iterator[tuple[str, bytes]]:
    """Every file under ``root`` (path relative to it, bytes), ``.git`` left out: how the bot feeds the scan."""
    stack = [str(root)]
    prefix = len(str(root)) + 1
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != ".git":
                        stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    with open(entry.path, "rb") as handle:
                        yield entry.path[prefix:], handle.read()


def scan_tree(root: Path, fast: bool = True) -> scan.Scan:
    """The scan as ``promoter apps --images`` runs it, in one process (listing, reading, a chart's templates
    left out); ``fast=False``: every file parsed, for comparison."""
    if fast:
        files = checkoutfiles.CheckoutFiles(root)
        return scan.scan((path, files.raw(path)) for path in checkoutfiles.image_paths(files))
    return scan.scan(read_tree(root), fast=False)


_IMAGE_LINE = re.compile(rb"image:[ ]*(\S+)")


def regex_pass(root: Path) -> int:
    """The yardstick of the issue: read every file and match ``image: X`` (no structure, no paths)."""
    return sum(len(_IMAGE_LINE.findall(data)) for _, data in read_tree(root))


def _timed(action: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples


# The child reports VmHWM, the peak RSS of its own address space. Not ru_maxrss: on Linux that survives exec,
# so a child forked from this (larger) process would report this process's peak.
_CHILD = """
import sys
from pathlib import Path
from tests.perf import bench_scan
from promoter.gitops import scan
if sys.argv[1] == "scan":
    bench_scan.scan_tree(Path(sys.argv[2]))
with open("/proc/self/status") as status:
    print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
"""


def _command(root: Path, *extra: str) -> float:
    """Wall seconds of one ``promoter apps DIR --json --offline`` (a fresh process: start and imports too)."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "promoter", "apps", str(root), "--json", "--offline", *extra],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=Path.cwd(),
    )
    return time.perf_counter() - start


# The command's own peak: run from this small launcher, whose children's largest peak RSS (ru_maxrss) is the
# larger of the command's process and its scan's child (the launcher's own peak carried across exec is smaller).
_LAUNCH = """
import resource, subprocess, sys
subprocess.run([sys.executable, "-m", "promoter", "apps", sys.argv[1], "--json", "--offline", "--images"],
               check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def _command_peak_kb(root: Path) -> int:
    result = subprocess.run(
        [sys.executable, "-c", _LAUNCH, str(root)], check=True, capture_output=True, text=True, cwd=Path.cwd()
    )
    return int(result.stdout.split()[-1])


def _peak_kb(mode: str, root: Path) -> int:
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(root)], check=True, capture_output=True, text=True, cwd=Path.cwd()
    )
    return int(result.stdout.split()[-1])


def run(files: int = 5000, repeat: int = 5, slow_too: bool = True, scale: float = 1.0) -> dict[str, float]:
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    tmp = Path(tempfile.mkdtemp(prefix="promoter-bench-scan-", dir=base))
    try:
        generated = repo(files, scale=scale)
        write(generated, tmp)
        size = sum(len(data) for data in generated.values())
        del generated
        result = scan_tree(tmp)
        samples = _timed(lambda: (scan.forget(), scan_tree(tmp)), repeat)  # each a first reading, caches cold
        seconds = statistics.median(samples)
        regex = statistics.median(_timed(lambda: regex_pass(tmp), repeat))
        slow = min(_timed(lambda: scan_tree(tmp, fast=False), 1 if slow_too else 0) or [float("nan")])
        # The three commands in turn, so that a slow moment of the machine falls on each alike.
        runs: dict[str, list[float]] = {"--images": [], "": [], "--help": []}
        for _ in range(2 * repeat - 1):
            for extra, samples_of in runs.items():
                samples_of.append(_command(tmp, *filter(None, [extra])))
        command, apps_only, started = (statistics.median(samples_of) for samples_of in runs.values())
        command_min = min(runs["--images"])
        command_mb = _command_peak_kb(tmp) / 1024
        idle = _peak_kb("idle", tmp)
        peak = _peak_kb("scan", tmp)
        mb = max(0, peak - idle) / 1024  # VmHWM is in KiB
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    applications = sum(1 for doc in result.applications if doc.kind is scan.Kind.APPLICATION)
    print(f"repo: {files} files, {size / 1e6:.1f} MB on {base or tempfile.gettempdir()}")
    print(
        f"  found: {len(result.images)} image references, {applications} Applications, "
        f"{len(result.applications) - applications} ApplicationSets, {len(result.problems)} problems"
    )
    print(
        f"  scan (reading files included): median {seconds:.3f} s of {repeat} (target <= {TARGET_SECONDS} s); "
        f"min {min(samples):.3f} s, max {max(samples):.3f} s"
    )
    print(f"  yardstick, same machine and moment: a regex pass over the same files (reading them) {regex:.3f} s")
    print(
        f"  the command, a fresh process: `promoter apps DIR --json --images` median {command:.3f} s of "
        f"{2 * repeat - 1}, min {command_min:.3f} s (target <= {TARGET_SECONDS} s; run in turn with: without "
        f"--images {apps_only:.3f} s; the process's start and imports alone, --help, {started:.3f} s); its peak "
        f"RSS {command_mb:.1f} MB (the larger of its two processes)"
    )
    if slow_too:
        print(f"  the slow path (every file parsed; what the fast path is tested against): {slow:.3f} s, one run")
    print(
        f"  memory: peak RSS growth {mb:.1f} MB (target <= {TARGET_MB:.0f} MB): the peak RSS (VmHWM) of a fresh "
        f"process that scans once, {peak / 1024:.1f} MB, minus an idle one's with the same imports, {idle / 1024:.1f} MB"
    )
    return {
        "files": float(files),
        "images": float(len(result.images)),
        "applications": float(len(result.applications)),
        "seconds": seconds,
        "regex_seconds": regex,
        "mb": mb,
        "command_seconds": command,
        "command_mb": command_mb,
    }


if __name__ == "__main__":
    run()
