"""The repo scan: what it finds (tables), that its fast path finds exactly what parsing every file finds, and
that it agrees with the editor on what an image reference is."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from promoter.gitops import documents, imagelines, linereader, manifests, scan, yamltree
from promoter.yamledit import imageedit
from promoter.yamledit.errors import EditError
from tests.perf import bench_scan


def both(files: dict[str, bytes | str]) -> scan.Scan:
    """The fast scan, after checking that the slow one (every file parsed) gives the same."""
    fast = scan.scan(files.items())
    slow = scan.scan(files.items(), fast=False)
    assert fast.images == slow.images
    assert [(a.file, a.doc, a.line, a.kind, a.document) for a in fast.applications] == [
        (a.file, a.doc, a.line, a.kind, a.document) for a in slow.applications
    ]
    assert fast.problems == slow.problems
    return fast


def found(text: str, file: str = "manifest.yaml") -> list[tuple[int, int, str, str, str | None, str | None]]:
    """(doc, line, path, name, tag, digest) of every reference."""
    return [(i.doc, i.line, i.path, i.name, i.tag, i.digest) for i in both({file: text.encode()}).images]


def read_fast(text: str, file: str = "manifest.yaml") -> bool:
    """Whether the fast path reads the text itself (its line-naming-image reading, else its line reader),
    rather than leaving it to the parser."""
    walker = scan.Walker(scan._Found(), file, fast=True)
    try:
        imagelines.fast_file(walker, text)
    except yamltree.Refused:
        return False
    except yamltree.Unsupported:
        try:
            linereader.outline(text)
        except yamltree.Unsupported:
            return False
    return True


def read_by_lines_naming_image(text: str, file: str = "manifest.yaml") -> bool:
    """Whether the cheapest reading (libyaml's check, then only the lines naming image) takes the text."""
    try:
        imagelines.fast_file(scan.Walker(scan._Found(), file, fast=True), text)
    except yamltree.Unsupported:
        return False
    return True


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: ghcr.io/acme/checkout:1.4.2
      containers:
        - name: app
          image: ghcr.io/acme/checkout:1.4.2   # promoted by promoter
        - name: envoy
          image: "envoyproxy/envoy@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
      ephemeralContainers:
      - {name: debug, image: busybox}
"""


def test_containers_of_a_pod_template() -> None:
    assert found(DEPLOYMENT) == [
        (0, 10, "spec.template.spec.initContainers[0].image", "ghcr.io/acme/checkout", "1.4.2", None),
        (0, 13, "spec.template.spec.containers[0].image", "ghcr.io/acme/checkout", "1.4.2", None),
        (0, 15, "spec.template.spec.containers[1].image", "envoyproxy/envoy", None, "sha256:" + "0123456789abcdef" * 4),
        (0, 17, "spec.template.spec.ephemeralContainers[0].image", "busybox", None, None),
    ]
    refs = both({"d.yaml": DEPLOYMENT}).images
    assert {r.form for r in refs} == {scan.Form.CONTAINER}
    assert refs[1].written == "ghcr.io/acme/checkout:1.4.2"
    assert refs[3].repository == "docker.io/library/busybox"
    assert read_by_lines_naming_image(DEPLOYMENT)


def test_cronjob_and_helm_values_strings_and_mappings() -> None:
    cronjob = "apiVersion: batch/v1\nkind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: c\n            image: acme/report:7\n"
    assert found(cronjob) == [
        (0, 10, "spec.jobTemplate.spec.template.spec.containers[0].image", "acme/report", "7", None)
    ]
    values = """\
image:
  registry: ghcr.io
  repository: acme/api
  tag: "2.0.1"
sidecar:
  image: fluent/fluent-bit:3.1.4
exporter: {image: {repository: prom/statsd-exporter, tag: v0.26.1}}
broken:
  image: {registry: ghcr.io}
templated:
  image: "{{ .Values.image }}"
"""
    refs = both({"values.yaml": values}).images
    assert [(r.line, r.path, r.name, r.tag, r.form) for r in refs] == [
        (2, "image", "ghcr.io/acme/api", "2.0.1", scan.Form.HELM),
        (6, "sidecar.image", "fluent/fluent-bit", "3.1.4", scan.Form.VALUE),
        (7, "exporter.image", "prom/statsd-exporter", "v0.26.1", scan.Form.HELM),
    ]
    assert refs[0].written == "ghcr.io/acme/api:2.0.1"


def test_kustomization_images_and_inline_patches() -> None:
    text = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [../../base]
images:
- name: ghcr.io/acme/checkout
  newTag: 1.5.0
- name: nginx
  newName: mirror.example.com/nginx
  newTag: '1.27'
- name: redis
  digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
- name: "{{ templated }}"
patches:
  - target: {kind: Deployment, name: checkout}
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/image
        value: ghcr.io/acme/checkout:1.5.0
patchesStrategicMerge:
- |
  apiVersion: apps/v1
  kind: Deployment
  spec:
    template:
      spec:
        containers:
        - name: app
          image: ghcr.io/acme/sidecar:3
"""
    refs = both({"overlays/prod/kustomization.yaml": text}).images
    assert [(r.line, r.path, r.name, r.tag, r.digest, r.overrides, r.form) for r in refs] == [
        (5, "images[0]", "ghcr.io/acme/checkout", "1.5.0", None, None, scan.Form.KUSTOMIZE),
        (7, "images[1]", "mirror.example.com/nginx", "1.27", None, "nginx", scan.Form.KUSTOMIZE),
        (10, "images[2]", "redis", None, "sha256:" + "0123456789abcdef" * 4, None, scan.Form.KUSTOMIZE),
        (18, "patches[0].patch|[0].value", "ghcr.io/acme/checkout", "1.5.0", None, None, scan.Form.JSON_PATCH),
        (
            28,
            "patchesStrategicMerge[0]|spec.template.spec.containers[0].image",
            "ghcr.io/acme/sidecar",
            "3",
            None,
            None,
            scan.Form.CONTAINER,
        ),
    ]
    assert read_fast(text)


def test_a_kustomization_is_known_by_its_name_without_a_kind() -> None:
    text = "images:\n- name: nginx\n  newTag: '1.27'\n"
    assert found(text, "base/kustomization.yaml") == [(0, 2, "images[0]", "nginx", "1.27", None)]
    assert found(text, "base/other.yaml") == []  # a list of images in any other file is not a reference


def test_application_sources_and_application_sets() -> None:
    text = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: checkout-prod
spec:
  project: default
  sources:
  - repoURL: https://github.com/acme/config.git
    path: apps/checkout/overlays/prod
    kustomize:
      images:
      - ghcr.io/acme/checkout:1.5.0
      - nginx=mirror.example.com/nginx:1.27
    image: not/read:here
  - chart: checkout
    repoURL: https://charts.example.com
    helm:
      values: |
        image:
          repository: ghcr.io/acme/checkout
          tag: 1.5.0
      valuesObject:
        worker: {image: "ghcr.io/acme/worker:2"}
      parameters:
      - {name: image.repository, value: ghcr.io/acme/checkout}
      - {name: image.tag, value: 1.5.0}
      - {name: other.repository, value: ghcr.io/acme/no-tag-parameter}
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: team
spec:
  template:
    spec:
      source:
        helm:
          valuesObject:
            image: ghcr.io/acme/from-set:1
"""
    result = both({"argocd/apps.yaml": text})
    assert [(r.doc, r.line, r.path, str(images_of(r)), r.form) for r in result.images] == [
        (0, 12, "spec.sources[0].kustomize.images[0]", "ghcr.io/acme/checkout:1.5.0", scan.Form.ARGOCD_KUSTOMIZE),
        (0, 13, "spec.sources[0].kustomize.images[1]", "mirror.example.com/nginx:1.27", scan.Form.ARGOCD_KUSTOMIZE),
        (0, 20, "spec.sources[1].helm.values|image", "ghcr.io/acme/checkout:1.5.0", scan.Form.HELM),
        (0, 23, "spec.sources[1].helm.valuesObject.worker.image", "ghcr.io/acme/worker:2", scan.Form.VALUE),
        (0, 25, "spec.sources[1].helm.parameters[0].value", "ghcr.io/acme/checkout:1.5.0", scan.Form.HELM_PARAMETERS),
        (1, 39, "spec.template.spec.source.helm.valuesObject.image", "ghcr.io/acme/from-set:1", scan.Form.VALUE),
    ]
    assert result.images[1].overrides == "nginx"
    documents = manifests.load_documents(text, "argocd/apps.yaml")
    assert [(a.doc, a.line, a.kind, a.document) for a in result.applications] == [
        (0, 1, scan.Kind.APPLICATION, documents[0]),
        (1, 29, scan.Kind.APPLICATION_SET, documents[1]),
    ]
    assert read_fast(text)


def images_of(ref: scan.ImageRef) -> str:
    return ref.name + (f":{ref.tag}" if ref.tag else "") + (f"@{ref.digest}" if ref.digest else "")


def test_applications_among_other_documents_keep_their_index_and_plain_data() -> None:
    text = """\
# leading comment
---
apiVersion: v1
kind: Namespace
metadata: {name: argocd}
---
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: "app"
  labels: {tier: '1', ready: yes}
  annotations:
    note: |
      two
      lines
spec:
  source: {repoURL: 'https://example.com/r.git', targetRevision: 1.10, path: ~}
  syncPolicy:
    automated:
      prune: true
    retry: {limit: 5, backoff: {duration: 5s, factor: 2}}
  ignoreDifferences:
  - group: apps
    jsonPointers: [/spec/replicas]
  info: [{name: date, value: 2024-01-02}]
---
apiVersion: example.com/v1
kind: Application
metadata: {name: not-argo}
"""
    result = both({"apps.yaml": text})
    assert [(a.doc, a.line, a.kind) for a in result.applications] == [(2, 8, scan.Kind.APPLICATION)]
    document = result.applications[0].document
    assert document == manifests.load_documents(text, "apps.yaml")[1]
    assert document["spec"]["source"] == {"repoURL": "https://example.com/r.git", "targetRevision": 1.1, "path": None}
    assert document["metadata"]["labels"] == {"tier": "1", "ready": "yes"}
    assert document["metadata"]["annotations"]["note"] == "two\nlines\n"
    assert document["spec"]["info"] == [{"name": "date", "value": "2024-01-02"}]
    assert read_fast(text)


def test_yaml_errors_name_the_file_and_line_and_give_nothing_else() -> None:
    files: dict[str, bytes | str] = {
        "bad/indent.yaml": "kind: Deployment\nspec:\n  image: nginx:1\n bad: indent\n",
        "bad/second-doc.yaml": "image: nginx:1\n---\nkey: [unclosed\n",
        "bad/helm.yaml": "image: nginx\n{{- if .Values.x }}\nfoo: bar\n{{- end }}\n",
        "bad/latin1.yaml": "image: caf\xe9\n".encode("latin-1"),
        "bad/duplicate-app.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nmetadata: {name: b}\n",
        "fine/unrelated-broken.yaml": "key: [unclosed\n",  # names no image and no Application: not read
    }
    problems = both(files).problems
    assert [(p.file, p.line) for p in problems] == [
        ("bad/indent.yaml", 4),
        ("bad/second-doc.yaml", 4),
        ("bad/helm.yaml", 3),
        ("bad/latin1.yaml", None),
        ("bad/duplicate-app.yaml", 4),
    ]
    assert "not valid YAML" in problems[0].reason
    assert "Helm template" in problems[2].reason
    assert "UTF-8" in problems[3].reason
    assert "duplicate key" in problems[4].reason
    assert both(files).images == ()


def test_files_that_are_not_yaml_are_not_read() -> None:
    files: dict[str, bytes | str] = {
        "README.md": "```yaml\nimage: nginx:1.27\n```\n",
        "render.sh": "docker run image: nginx\n",
        "logo.png": b"\x89PNG\r\n\x1a\nimage: \x00\xff",
        "k8s/job.JSON": '{"kind": "Job", "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "acme/job:3"}]}}}}',
    }
    result = both(files)
    assert [(r.file, r.path, r.name) for r in result.images] == [
        ("k8s/job.JSON", "spec.template.spec.containers[0].image", "acme/job")
    ]
    assert result.problems == ()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("flow mapping", b"spec:\n  containers: [{name: a, image: acme/x:1}]\n"),
        ("json", b'{"spec": {"containers": [{"name": "a", "image": "acme/x:1"}]}}\n'),
        (
            "json on lines",
            b'{\n  "spec": {\n    "containers": [\n      {"name": "a", "image": "acme/x:1"}\n    ]\n  }\n}\n',
        ),
        ("crlf", b"spec:\r\n  containers:\r\n  - name: a\r\n    image: acme/x:1\r\n"),
        ("bom", b"\xef\xbb\xbfspec:\n  containers:\n  - name: a\n    image: acme/x:1\n"),
        ("utf-16", "spec:\n  containers:\n  - name: a\n    image: acme/x:1\n".encode("utf-16")),
        ("quoted key", b'spec:\n  containers:\n  - name: a\n    "image": acme/x:1\n'),
        ("spaced colon", b"spec:\n  containers:\n  - name: a\n    image : acme/x:1\n"),
        ("no final newline", b"spec:\n  containers:\n  - name: a\n    image: acme/x:1"),
        ("tab", b"spec:\n  containers:\n  # a\tcomment\n  - name: a\n    image: acme/x:1\n"),
        ("anchor", b"base: &img acme/x:1\nspec:\n  containers:\n  - name: a\n    image: *img\n"),
        ("str input", "spec:\n  containers:\n  - name: a\n    image: acme/x:1\n"),
        ("escaped key", b'spec:\n  containers:\n  - name: a\n    "\\x69mage": acme/x:1\n'),
        ("escaped key, unicode", b'spec:\n  containers:\n  - name: a\n    "\\u0069mage": acme/x:1\n'),
    ],
)
def test_the_prefilter_keeps_every_file_that_matters(name: str, data: bytes | str) -> None:
    refs = both({f"{name}.yaml": data}).images
    assert [(r.path, r.name, r.tag) for r in refs] == [("spec.containers[0].image", "acme/x", "1")], name


# Texts the line reader reads itself or leaves to the parser: either way the result is the parser's.
TRICKY = [
    "a:\n  - image: x/y:1\n  -   image: x/z:2\n",
    "list:\n- image: a/b:1\n  more:\n  - image: c/d:2\nafter: 1\nimage: e/f:3\n",
    "- image: a/b:1\n- name: x\n  image: c/d:2\n",
    "top:\n# comment at column 0\n    image: a/b:1   # trailing\n\n    other: 2\n",
    "image: 'a/b:1'\nx: {image: \"c/d:2\", k: [1, 2, {image: e/f:3}]}\n",
    "image: a/b:1\nimage: c/d:2\n",
    "image:\nrepository: a/b\n",
    "image:\n  repository: a/b\n  tag:\n",
    "block: |\n  image: not/this:1\nimage: a/b:1\n",
    "block: |+\n  keep\n\n\nimage: a/b:1\n",
    "block: |-\n    deeper\n\n  less\nimage: a/b:1\n",
    "block: |\n\n  after blank\nimage: a/b:1\n",
    "block: >\n  folded\n  image: no\nimage: a/b:1\n",
    "k: 'it''s'\nimage: a/b:1\n",
    'k: "with \\"escape\\""\nimage: a/b:1\n',
    "k: plain # comment\nk2: a#b\nimage: a/b:1\n",
    "args: [--flag, -x]\nimage: a/b:1\nmore: -1\ncmd: --run\n",
    "k: multi\n  line\nimage: a/b:1\n",
    "'quoted key': 1\n\"other\": 2\nimage: a/b:1\n",
    "? complex\n: value\nimage: a/b:1\n",
    "%YAML 1.2\n---\nimage: a/b:1\n",
    "image: a/b:1\n...\n---\nimage: c/d:2\n",
    "--- # comment\nimage: a/b:1\n--- \nimage: c/d:2\n---\n",
    "--- {image: a/b:1}\n",
    "image: !!str a/b:1\n",
    "image: a/b:1\n  bad: indent\n",
    "a:\n  b: 1\n c: 2\nimage: x/y:1\n",
    "a: [unclosed\nimage: x/y:1\n",
    "image: [a, b]\nimages: {x: y}\n",
    "url: {u: https://x}\nimage: a/b:1\n",
    "x: {image: a/b:1, n: [c:d, 'e:f', g::h]}\n",
    "x: {a: b:}\nimage: a/b:1\n",
    "x: [a:b]\nimage: a/b:1\n",
    "x: {a: 'b', c: \"d\" }   # comment\nimage: a/b:1\n",
    "1: one\ntrue: yes\nnull: ~\nimage: a/b:1\n",
    "empty:\n- \nimage: a/b:1\n",
    "seq:\n- - nested\nimage: a/b:1\n",
    "k:    spaced value    \nimage:    a/b:1    \n",
    "ops:\n- {op: replace, path: /spec/containers/0/image, value: a/b:1}\n- op: add\n  path: /x/image\n  value: c/d:2\n- {op: remove, path: /image, value: e/f:3}\n",
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  source:\n    helm:\n      values: |\n        image: a/b:1\n        ---\n        image: c/d:2\n",
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: x}\nspec:\n  k: [1.5, 0x1F, .inf, 2001-12-14, 'q', \"r\", true, False, ~, '']\n  '1': a\n  n: 010\n  y: yes\n",
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: x}\n<<: {a: 1}\n",
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: x\n  labels:\n    1: a\n",
    "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: x}\nspec:\n  template:\n    metadata: {name: '{{.path.basename}}'}\n",
    "  indented: root\n  image: a/b:1\n",
    "[image, a/b:1]\n",
    "just a scalar image\n",
    "",
    "# only a comment naming image\n",
    "---\n---\nimage: a/b:1\n",
    "image: a/b:1\n---\nkind: Service\nspec:\n  *undefined: 1\n",
    "image: a/b:1\nx: [ #c\n",
    'spec:\n  "im\\\n    age": a/b:1\n',
    '{"expr": "sum(rate(x{job=\\"a\\"}[5m]))", "spec": {"i\\u006dage": "a/b:1"}}\n',
    "image: a/b:1\nx: { # c\n  a: b}\n",
    'image: a/b:1\n---\nkind: Service\nspec:\n  "\\x69mage": c/d:2\n',
    'kind: "\\x41pplication"\napiVersion: argoproj.io/v1alpha1\nmetadata: {name: x}\n',
    "image: a/b:1\n---\nkind: Service\nspec: *undefined\n",
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  ? [a, b]\n  : c\n",
    "kind: ApplicationSet\napiVersion: argoproj.io/v1alpha1\nspec:\nmetadata: {name: x}\nspec:\n  template:\n    - a\n  template:\n    b: 1\n",
    "image: a/b:1\nx: \x01\n",
    "image: a/b:1\u2028x: y\n",
    "image: a/b:1\x85x: y\n",
    "k: {image: a/b:1}\n",
    "image:\n  {repository: a/b, tag: '1'}\n",
    'image:\n  "x: y"\nother:\n  image:\n    repository: a/b\n    tag: "1"\n',
    "x:\n  image:\n    repository: a/b\n    {tag: 1}\n",
    "x:\n  image:\n    repository: a/b\n    'tag': '2'\n    \"digest\": sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
    "x:\n  image:\n    - a/b:1\n  y:\n    image:\n    z: 1\n",
    "spec:\n  image:\n    description: the image\n    type: string\n  images:\n    type: array\n",
    "spec:\n  image:\n    nested:\n      image: a/b:1\n    repository: c/d\n",
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\npatches:\n- patch: |\n    image: a/b:1\n    x: \x01\n",
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\npatches:\n- patch: |\n    - op: add\n      path: /image\n      value: a/b:1\n",
]


@pytest.mark.parametrize("text", TRICKY, ids=range(len(TRICKY)))
def test_the_fast_path_equals_the_parser_on_tricky_yaml(text: str) -> None:
    both({"tricky.yaml": text, "tricky-crlf.yaml": text.replace("\n", "\r\n")})


def same_documents(text: str) -> bool:
    """Whether the line reader's documents (when it reads the text) are the parser's, lines included (unless
    the parser's lost them: all 1, where its splitter misread a marker); returns whether it read the text."""

    def read(reader: Callable[[], list[tuple[int, Any]]]) -> list[tuple[int, Any]] | str:
        try:
            return reader()
        except manifests.ManifestError as exc:
            return str(exc)

    quick = linereader.read_documents(text)
    if quick is None:
        return False
    mine = read(lambda: [(n, d) for n, d in quick if manifests.mapping(d, "f.yaml")])
    parsed = read(lambda: documents.parsed(text, "f.yaml"))
    if isinstance(mine, list) and isinstance(parsed, list) and {n for n, _ in parsed} == {1}:
        mine = [(1, d) for _, d in mine]
    assert mine == parsed, text
    return True


@pytest.mark.parametrize("text", TRICKY, ids=range(len(TRICKY)))
def test_read_documents_equals_the_parser_on_tricky_yaml(text: str) -> None:
    same_documents(text)
    same_documents(text.replace("\n", "\r\n"))


def test_read_documents_equals_the_parser_on_generated_and_odd_files() -> None:
    files = bench_scan.repo(files=300, seed=11, scale=0.02)
    texts = [data.decode() for path, data in sorted(files.items()) if path.endswith((".yaml", ".json"))]
    read = sum(same_documents(text) for text in texts)
    assert read >= 0.9 * len(texts), f"the line reader read only {read} of {len(texts)} files"
    rng = random.Random(12)
    small = [text for text in texts if len(text) < 4000]
    for _ in range(150):
        same_documents(_mutated(rng.choice(small), rng))
    lines = "# head\n---\n" + "\n".join(f"---\na{i}: {i}\n\n# c\n" for i in range(3)) + "---\n- a list\n"
    assert same_documents(lines)
    with pytest.raises(manifests.ManifestError, match=r"f\.yaml: a document is a list, not a mapping"):
        documents.of(lines, "f.yaml")

    """For each reference the scan finds, ``edit image`` with a new tag changes exactly its line."""
    files = {
        "d.yaml": DEPLOYMENT,
        "v.yaml": "image:\n  repository: acme/api\n  tag: '1'\nsidecar:\n  image: acme/side:1\n",
        "kustomization.yaml": "images:\n- name: acme/api\n  newTag: '1'\n",
    }
    refs = both(dict(files)).images
    assert len(refs) == 7
    for ref in refs:
        text = files[ref.file]
        edited = imageedit.apply(text, imageedit.parse_request(f"{ref.name}:9.9.9"), ref.file, ref.doc)
        changed = {n + 1 for n, (a, b) in enumerate(zip(text.split("\n"), edited.split("\n"), strict=True)) if a != b}
        same = [r for r in refs if r.file == ref.file and r.repository == ref.repository]
        windows = {line for r in same for line in range(r.line, r.line + 3)}  # a mapping's tag is below its line
        assert changed and changed <= windows, (ref, changed)
        assert changed & set(range(ref.line, ref.line + 3)), ref


def test_the_editor_finds_nothing_the_scan_does_not() -> None:
    text = "kind: ConfigMap\ndata:\n  config: |\n    image: acme/inside-a-configmap:1\n  image: acme/real:1\n"
    refs = both({"c.yaml": text}).images
    assert [r.name for r in refs] == ["acme/real"]
    with pytest.raises(EditError):
        imageedit.apply(text, imageedit.parse_request("acme/inside-a-configmap:2"), "c.yaml")


def test_a_generated_repo_scans_the_same_fast_and_slow() -> None:
    files: dict[str, bytes | str] = dict(bench_scan.repo(files=300, seed=3, scale=0.05))
    result = both(files)
    assert len(result.images) > 200
    assert {a.kind for a in result.applications} == {scan.Kind.APPLICATION, scan.Kind.APPLICATION_SET}
    assert {r.form for r in result.images} >= {
        scan.Form.CONTAINER,
        scan.Form.VALUE,
        scan.Form.HELM,
        scan.Form.KUSTOMIZE,
        scan.Form.JSON_PATCH,
        scan.Form.ARGOCD_KUSTOMIZE,
        scan.Form.HELM_PARAMETERS,
    }
    relevant = [
        data.decode()
        for path, data in files.items()
        if isinstance(data, bytes) and path.endswith(".yaml") and scan._matters(data.decode())
    ]
    fast = sum(read_fast(text) for text in relevant)
    assert fast >= 0.9 * len(relevant), f"the fast path read only {fast} of {len(relevant)} files itself"
    cheapest = sum(read_by_lines_naming_image(text) for text in relevant)
    assert cheapest >= 0.9 * len(relevant), f"only {cheapest} of {len(relevant)} files read at their image lines"


def test_the_benchmark_runs() -> None:
    """A quick run of ``python -m tests.perf.bench_scan`` so it cannot rot; figures are printed, not asserted."""
    results = bench_scan.run(files=150, repeat=1, slow_too=False, scale=0.02)
    assert results["images"] > 0 and results["seconds"] > 0


_SNIPPETS = ("&a ", "*a", "!!str ", '"', "'", "{", "}", "[", "]", "- ", "|", "|-", ">", "# ", ": ", "  ", "? ", "<<: ")
_SNIPPETS += (
    "image: x/y:1",
    "image:",
    "repository: r/s",
    "\\",
    "---",
    "...",
    "tag: 2",
    " #c",
    "-",
    "kind: Application",
)


def _mutated(text: str, rng: random.Random) -> str:
    """The text with a line or two broken, moved or made odd: most results are still YAML, some are not."""
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
        match rng.randrange(6):
            case 0:
                del lines[i]
            case 1:
                lines.insert(i, lines[rng.randrange(len(lines))])
            case 2:
                lines[i] = "  " + lines[i]
            case 3:
                lines[i] = lines[i].removeprefix("  ")
            case 4:
                k = rng.randint(0, len(lines[i]))
                lines[i] = lines[i][:k] + rng.choice(_SNIPPETS) + lines[i][k:]
            case _:
                lines.insert(i, " " * rng.choice((0, 2, 4, 6)) + rng.choice(_SNIPPETS))
    return "\n".join(lines)


def test_the_fast_path_equals_the_parser_on_broken_and_odd_variants_of_real_files() -> None:
    files = bench_scan.repo(files=200, seed=5, scale=0.01)
    texts = sorted(
        (path, data.decode())
        for path, data in files.items()
        if path.endswith(".yaml") and (b"image" in data or b"Application" in data) and len(data) < 4000
    )
    rng = random.Random(8)
    for _ in range(80):  # (the slow path's pure-Python parser judges the broken ones: some 10 ms each)
        path, text = rng.choice(texts)
        both({path: _mutated(text, rng)})


def test_the_real_repos_of_the_corpus_scan_the_same_fast_and_slow(corpus: Path) -> None:
    total = 0
    for repo in sorted((corpus / "repos").iterdir()):
        files: dict[str, bytes | str] = {}
        for folder, _, names in os.walk(repo):
            for name in names:
                path = Path(folder) / name
                files[str(path.relative_to(repo))] = path.read_bytes()
        total += len(both(files).images)
        for path, data in files.items():
            if path.endswith((".yaml", ".yml", ".json")):
                same_documents(data.decode("utf-8", "replace") if isinstance(data, bytes) else data)
    assert total > 20


def test_forget_empties_what_repeated_scans_reuse() -> None:
    files = [("a.yaml", b"kind: Deployment\nspec:\n  containers:\n  - name: a\n    image: a/b:1\n")]
    first = scan.scan(files)
    assert scan._image.cache_info().currsize > 0
    scan.forget()
    assert scan._image.cache_info().currsize == 0 and linereader.checked_outline.cache_info().currsize == 0
    assert scan.scan(files) == first
