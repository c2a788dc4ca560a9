"""What an Application deploys: directories, kustomize overlays and Helm values, rendered from files."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from promoter.gitops import kustomize, patches
from promoter.gitops.applications import Source
from promoter.gitops.manifests import ManifestError, load_documents
from promoter.sandbox.argocd.rendering import Rendered, render


class Tree:
    """Files held in a dict: the same view of a commit that the git snapshot gives."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files

    def paths(self) -> Iterable[str]:
        return self.files.keys()

    def text(self, path: str) -> str | None:
        return self.files.get(path)


def pod(name: str, image: str, kind: str = "Deployment") -> str:
    return f"""\
apiVersion: apps/v1
kind: {kind}
metadata:
  name: {name}
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: {image}
      containers:
        - name: {name}
          image: {image}
"""


def rendered(files: dict[str, str], path: str, **options: Any) -> Rendered:
    source = Source({"repoURL": "https://example.com/x.git", "path": path, **options})
    return render(source, Tree(files), {}, "shop", "web")


def test_a_plain_directory_holds_its_own_files_only_unless_recursive() -> None:
    files = {"app/web.yaml": pod("web", "web:1"), "app/jobs/nightly.yml": pod("nightly", "job:2", "CronJob")}
    flat = rendered(files, "app")
    assert (flat.source_types, flat.images, flat.error) == (("Directory",), ("web:1",), None)
    assert flat.resources[0]["metadata"]["namespace"] == "shop"  # the destination namespace fills the gap
    deep = rendered(files, "app", directory={"recurse": True, "exclude": "{jobs/nightly.yml}"})
    assert deep.images == ("web:1",)
    assert rendered(files, "app", directory={"recurse": True}).images == ("job:2", "web:1")


def test_an_overlay_applies_its_base_patches_and_images() -> None:
    files = {
        "base/kustomization.yaml": "resources: [web.yaml, worker.yaml]\n",
        "base/web.yaml": pod("web", "ghcr.io/acme/web:1.0.0"),
        "base/worker.yaml": pod("worker", "ghcr.io/acme/worker:1.0.0"),
        "prod/kustomization.yaml": """\
namespace: prod
namePrefix: prod-
resources: [../base]
patches:
  - target: {kind: Deployment, name: worker}
    patch: |
      - op: replace
        path: /spec/template/spec/containers/0/image
        value: ghcr.io/acme/worker:3.0.0
patchesStrategicMerge:
  - |
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      template:
        spec:
          containers:
            - name: web
              image: ghcr.io/acme/web-debug:patched
images:
  - name: ghcr.io/acme/web
    newTag: 1.2.0
  - name: ghcr.io/acme/worker
    newName: registry.example.com/worker
""",
    }
    result = rendered(files, "prod")
    assert result.error is None
    assert result.source_types == ("Kustomize",)
    assert [(r["metadata"]["name"], r["metadata"]["namespace"]) for r in result.resources] == [
        ("prod-web", "prod"),
        ("prod-worker", "prod"),
    ]
    assert result.images == (
        "ghcr.io/acme/web-debug:patched",  # the container named web, patched by name
        "ghcr.io/acme/web:1.2.0",  # the init container, untouched by the patch, retagged by images:
        "registry.example.com/worker:1.0.0",
        "registry.example.com/worker:3.0.0",  # containers/0 replaced by the JSON patch, renamed by images:
    )


def test_the_applications_own_kustomize_images_come_last() -> None:
    files = {"k/kustomization.yaml": "resources: [web.yaml]\n", "k/web.yaml": pod("web", "web:1")}
    assert rendered(files, "k", kustomize={"images": ["web=mirror/web:7"]}).images == ("mirror/web:7",)
    assert rendered(files, "k", kustomize={"images": ["web@sha256:" + "a" * 64]}).images == ("web@sha256:" + "a" * 64,)


def test_helm_images_come_from_the_merged_values() -> None:
    files = {
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\nappVersion: 4.0.0\n",
        "chart/values.yaml": "image: {repository: ghcr.io/acme/web, tag: ''}\nsidecar:\n  image: envoy:1.29\n",
        "chart/values-prod.yaml": "image:\n  tag: 4.1.0\n",
        "chart/templates/deployment.yaml": "{{ .Values.image.repository }}\n",
    }
    assert rendered(files, "chart").images == ("envoy:1.29", "ghcr.io/acme/web:4.0.0")
    with_file = rendered(files, "chart", helm={"valueFiles": ["values-prod.yaml"]})
    assert (with_file.source_types, with_file.images) == (("Helm",), ("envoy:1.29", "ghcr.io/acme/web:4.1.0"))
    with_parameter = rendered(
        files,
        "chart",
        helm={"valuesObject": {"sidecar": None}, "parameters": [{"name": "image.tag", "value": "5.0.0"}]},
    )
    assert with_parameter.images == ("ghcr.io/acme/web:5.0.0",)
    missing = rendered(files, "chart", helm={"valueFiles": ["nope.yaml"]})
    assert missing.error == "chart: value file 'nope.yaml' not found"


@pytest.mark.parametrize(
    ("files", "path", "error"),
    [
        ({"a/x.yaml": "key: [unclosed\n"}, "a", "a/x.yaml: invalid YAML"),
        ({"a/x.yaml": "- a list\n"}, "a", "a/x.yaml: a document is a list, not a mapping"),
        ({"a/x.yaml": "{}"}, "b", "b: app path does not exist"),
        ({"a/kustomization.yaml": "resources: [gone.yaml]\n"}, "a", "resource 'gone.yaml' not found"),
        ({"a/kustomization.yaml": "resources: [../a]\n"}, "a", "a cycle of kustomizations"),
        ({"a/kustomization.yaml": "resources: [../../x]\n"}, "a", "points outside the repository"),
    ],
    ids=["bad-yaml", "not-a-mapping", "no-path", "missing-resource", "cycle", "outside"],
)
def test_what_cannot_be_rendered_is_an_error_naming_the_file(files: dict[str, str], path: str, error: str) -> None:
    result = rendered(files, path)
    assert result.error is not None
    assert error in result.error


@pytest.mark.parametrize(
    ("image", "parts"),
    [
        ("nginx", ("nginx", None, None)),
        ("nginx:1.25", ("nginx", "1.25", None)),
        ("localhost:5000/web", ("localhost:5000/web", None, None)),
        ("localhost:5000/web:2@sha256:ab", ("localhost:5000/web", "2", "sha256:ab")),
    ],
)
def test_image_references_split_into_name_tag_and_digest(image: str, parts: tuple[str, ...]) -> None:
    assert kustomize.split_image(image) == parts


def test_a_chart_from_a_helm_repository_and_a_ref_source_render_nothing() -> None:
    chart = render(Source({"repoURL": "https://charts.example.com", "chart": "web"}), None, {}, "x", "web")
    assert (chart.source_types, chart.images, chart.error) == (("Helm",), (), None)
    assert (
        render(Source({"repoURL": "https://example.com/x.git", "ref": "values"}), Tree({}), {}, "x", "web")
        == Rendered()
    )


def test_strategic_merge_merges_named_items_and_deletes_with_null_or_patch_delete() -> None:
    base = {
        "spec": {
            "replicas": 3,
            "paused": True,
            "containers": [
                {"name": "web", "image": "web:1", "ports": [{"containerPort": 80}, {"containerPort": 81}]},
                {"name": "sidecar", "image": "envoy:1"},
            ],
            "args": ["a", "b"],
        }
    }
    patch = {
        "spec": {
            "paused": None,
            "containers": [
                {"name": "web", "image": "web:2", "ports": [{"containerPort": 81, "name": "admin"}]},
                {"name": "sidecar", "$patch": "delete"},
                {"name": "debug", "image": "busybox"},
            ],
            "args": ["c"],
        }
    }
    assert patches.strategic_merge(base, patch) == {
        "spec": {
            "replicas": 3,
            "containers": [
                {
                    "name": "web",
                    "image": "web:2",
                    "ports": [{"containerPort": 80}, {"containerPort": 81, "name": "admin"}],
                },
                {"name": "debug", "image": "busybox"},
            ],
            "args": ["c"],
        }
    }
    assert patches.strategic_merge(base, {"spec": {"$patch": "replace", "replicas": 1}}) == {"spec": {"replicas": 1}}


def test_json_patches_add_replace_and_remove_or_refuse() -> None:
    base = {"spec": {"containers": [{"name": "web", "image": "web:1"}], "a~b/c": 1}}
    operations = [
        {"op": "add", "path": "/spec/containers/-", "value": {"name": "debug", "image": "busybox"}},
        {"op": "replace", "path": "/spec/containers/0/image", "value": "web:2"},
        {"op": "remove", "path": "/spec/a~0b~1c"},
        {"op": "add", "path": "/spec/replicas", "value": 2},
    ]
    assert patches.json6902(base, operations, "p") == {
        "spec": {
            "containers": [{"name": "web", "image": "web:2"}, {"name": "debug", "image": "busybox"}],
            "replicas": 2,
        }
    }
    for bad in (
        {"op": "move", "path": "/spec", "from": "/x"},
        {"op": "replace", "path": "/spec/missing", "value": 1},
        {"op": "remove", "path": "/spec/containers/7"},
        {"op": "add", "path": "/nowhere/deep", "value": 1},
        {"op": "add", "path": "", "value": 1},
    ):
        with pytest.raises(ManifestError):
            patches.json6902(base, [bad], "p")


def test_components_and_patch_files_take_part_in_the_build() -> None:
    files = {
        "base/kustomization.yaml": "resources: [web.yaml]\n",
        "base/web.yaml": pod("web", "web:1"),
        "components/debug/kustomization.yaml": "kind: Component\npatches:\n  - path: debug.yaml\n",
        "components/debug/debug.yaml": "kind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: web\n          image: web:debug\n",
        "overlay/kustomization.yaml": "resources: [../base]\ncomponents: [../components/debug]\n"
        "patchesStrategicMerge: [replicas.yaml]\n",
        "overlay/replicas.yaml": "kind: Deployment\nmetadata: {name: web}\nspec: {replicas: 5}\n",
    }
    result = rendered(files, "overlay")
    assert result.error is None
    assert result.images == ("web:1", "web:debug")
    assert result.resources[0]["spec"]["replicas"] == 5


def test_helm_value_files_from_another_source() -> None:
    files = {"chart/Chart.yaml": "name: web\n", "chart/values.yaml": "image: {repository: web, tag: '1'}\n"}
    config = Tree({"envs/prod/values.yaml": "image: {tag: '2'}\n"})
    source = Source({"path": "chart", "helm": {"valueFiles": ["$config/envs/prod/values.yaml", "$config/gone.yaml"]}})
    assert (
        render(source, Tree(files), {"config": config}, "x", "web").error
        == "chart: value file '$config/gone.yaml' not found"
    )
    lenient = Source(
        {
            "path": "chart",
            "helm": {
                "valueFiles": ["$config/envs/prod/values.yaml", "$config/gone.yaml"],
                "ignoreMissingValueFiles": True,
            },
        }
    )
    assert render(lenient, Tree(files), {"config": config}, "x", "web").images == ("web:2",)
    # No source has ref 'nope': as in Argo CD, "$nope" is a variable then, empty, and the path from the root
    unknown = Source({"path": "chart", "helm": {"valueFiles": ["$nope/values.yaml"]}})
    assert render(unknown, Tree(files), {}, "x", "web").error == "chart: value file '$nope/values.yaml' not found"
    assert render(unknown, Tree({**files, "values.yaml": "image: {tag: '3'}\n"}), {}, "x", "web").images == ("web:3",)


def test_manifests_are_read_as_argo_cds_go_yaml_would() -> None:
    # libyaml (YAML 1.1) refuses a ':' inside a plain scalar in a flow mapping; YAML 1.2 and Go accept it.
    (app,) = load_documents("kind: Application\nspec:\n  source: {repoURL: https://example.com/c.git, path: a}\n", "f")
    assert app["spec"]["source"]["repoURL"] == "https://example.com/c.git"
    # A TAB after a value: Go and libyaml accept it.
    assert load_documents("a: 1\t\nb: 2\n", "f") == [{"a": 1, "b": 2}]


def test_kustomize_replicas_scale_workloads_by_name_and_the_application_has_the_last_word() -> None:
    files = {
        "base/kustomization.yaml": "resources: [web.yaml, canary.yaml]\n",
        "base/web.yaml": pod("web", "web:1"),
        "base/canary.yaml": pod("web-canary", "web:2"),
        "prod/kustomization.yaml": "resources: [../base]\nnamePrefix: prod-\n"
        "replicas:\n  - {name: web, count: 3}\n  - {name: prod-web-canary, count: 1}\n",
    }
    result = rendered(files, "prod")
    assert result.error is None
    assert [(w.key.name if w.key else None, w.replicas) for w in result.workloads] == [
        ("prod-web", 3),  # named as in the base
        ("prod-web-canary", 1),  # or as this kustomization names it
    ]
    scaled = rendered(files, "prod", kustomize={"replicas": [{"name": "prod-web-canary", "count": 0}]})
    assert [w.replicas for w in scaled.workloads] == [3, 0]
    files["prod/kustomization.yaml"] = "resources: [../base]\nreplicas: [{name: web}]\n"
    assert "a replicas entry needs a name and an integer count" in (rendered(files, "prod").error or "")


def test_helm_images_make_one_workload_of_unknown_kind() -> None:
    files = {"chart/Chart.yaml": "name: web\n", "chart/values.yaml": "image: {repository: web, tag: '1'}\n"}
    assert [(w.key, w.images) for w in rendered(files, "chart").workloads] == [(None, ("web:1",))]


def test_the_digest_changes_with_the_manifests_only() -> None:
    files = {"app/a.yaml": pod("web", "web:1"), "app/b.yaml": pod("worker", "job:2"), "app/README.md": "hi\n"}
    digest = rendered(files, "app").digest
    assert digest
    assert rendered({**files, "app/README.md": "changed\n", "other/x.yaml": pod("x", "x:1")}, "app").digest == digest
    reordered = {"app/a.yaml": pod("worker", "job:2"), "app/b.yaml": pod("web", "web:1")}  # same resources
    assert rendered(reordered, "app").digest == digest
    assert rendered({**files, "app/a.yaml": pod("web", "web:2")}, "app").digest != digest
    elsewhere = render(Source({"repoURL": "https://example.com/x.git", "path": "app"}), Tree(files), {}, "other", "web")
    assert elsewhere.digest != digest  # another destination namespace
    assert rendered({**files, "app/a.yaml": "key: [unclosed\n"}, "app").digest != digest


def test_a_helm_digest_follows_what_helm_template_reads() -> None:
    files = {
        "chart/Chart.yaml": "name: web\nversion: 0.1.0\n",
        "chart/values.yaml": "image: {repository: web, tag: '1'}\nreplicas: 2\n",
        "chart/values-staging.yaml": "replicas: 1\n",
        "chart/values-prod.yaml": "replicas: 3\n",
        "chart/templates/deployment.yaml": "replicas: {{ .Values.replicas }}\n",
    }
    prod = {"helm": {"valueFiles": ["values-prod.yaml"]}}
    digest = rendered(files, "chart", **prod).digest
    assert rendered({**files, "chart/values-staging.yaml": "replicas: 9\n"}, "chart", **prod).digest == digest
    assert (
        rendered(
            {**files, "chart/values.yaml": "# same\nimage: {repository: web, tag: '1'}\nreplicas: 2\n"}, "chart", **prod
        ).digest
        == digest
    )
    for changed in (
        {"chart/values-prod.yaml": "replicas: 4\n"},  # not an image: the images alone would not see it
        {"chart/templates/deployment.yaml": "replicas: 5\n"},
        {"chart/Chart.yaml": "name: web\nversion: 0.2.0\n"},
    ):
        assert rendered({**files, **changed}, "chart", **prod).digest != digest, changed
    assert rendered(files, "chart", helm={**prod["helm"], "releaseName": "other"}).digest != digest
    remote = render(
        Source({"repoURL": "https://charts.example.com", "chart": "web", "targetRevision": "1.0.0"}),
        None,
        {},
        "x",
        "web",
    )
    newer = render(
        Source({"repoURL": "https://charts.example.com", "chart": "web", "targetRevision": "1.1.0"}),
        None,
        {},
        "x",
        "web",
    )
    assert remote.digest != newer.digest
