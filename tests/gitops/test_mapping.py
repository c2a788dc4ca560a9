"""Which Applications deploy a file: one table per rule on small repos built here, then pinned facts on the
real repositories of the corpus (``../shared/corpus/repos``)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from promoter.gitops import applications, helm, manifests, mapping
from promoter.gitops.applications import Application
from promoter.gitops.mapping import Reason

HERE = "https://github.com/acme/config"
CHARTS = "https://charts.example.com"


def app(name: str, *sources: dict[str, Any], annotations: Mapping[str, str] | None = None, **spec: Any) -> Application:
    """An Application reading ``sources`` (one: ``spec.source``; several: ``spec.sources``)."""
    body = dict(spec)
    if len(sources) == 1:
        body["source"] = sources[0]
    elif sources:
        body["sources"] = list(sources)
    document = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "annotations": dict(annotations or {})},
        "spec": body,
    }
    parsed = applications.parse(document, f"apps/{name}.yaml")
    assert parsed is not None
    return parsed


def git(path: str | None = None, **options: Any) -> dict[str, Any]:
    source: dict[str, Any] = {"repoURL": HERE, "targetRevision": "main", **options}
    if path is not None:
        source["path"] = path
    return source


def whys(files: Mapping[str, str], apps: list[Application], path: str, repo_url: str | None = None) -> list[str]:
    return [reason.why for reason in mapping.deployers(files, apps, [path], repo_url)[path]]


# --- plain directories ---------------------------------------------------------------------------------------

DIRECTORY = {
    "envs/prod/deployment.yaml": "kind: Deployment\n",
    "envs/prod/service.yml": "kind: Service\n",
    "envs/prod/config.json": "{}\n",
    "envs/prod/generated.jsonnet": "{}\n",
    "envs/prod/README.md": "# prod\n",
    "envs/prod/jobs/nightly.yaml": "kind: CronJob\n",
    "envs/prod/jobs/deep/weekly.yaml": "kind: CronJob\n",
    "envs/production/deployment.yaml": "kind: Deployment\n",  # shares a prefix with envs/prod, not a directory
    "envs/staging/deployment.yaml": "kind: Deployment\n",
}
TOP = "under its source path envs/prod"
DEEP = "under its source path envs/prod (recurse)"


@pytest.mark.parametrize(
    ("directory", "changed", "why"),
    [
        pytest.param({}, "envs/prod/deployment.yaml", TOP, id="a-manifest"),
        pytest.param({}, "envs/prod/service.yml", TOP, id="yml"),
        pytest.param({}, "envs/prod/config.json", TOP, id="json"),
        pytest.param({}, "envs/prod/generated.jsonnet", TOP, id="jsonnet-is-read-by-argo-cd"),
        pytest.param({}, "envs/prod/README.md", None, id="not-a-manifest"),
        pytest.param({}, "envs/prod/jobs/nightly.yaml", None, id="not-recursive-by-default"),
        pytest.param({}, "envs/production/deployment.yaml", None, id="a-sibling-with-the-same-prefix"),
        pytest.param({}, "envs/staging/deployment.yaml", None, id="another-directory"),
        pytest.param({}, "envs/prod/removed.yaml", TOP, id="a-deleted-manifest-still-maps"),
        pytest.param({"recurse": True}, "envs/prod/jobs/deep/weekly.yaml", DEEP, id="recurse"),
        pytest.param({"recurse": True}, "envs/prod/deployment.yaml", DEEP, id="recurse-top"),
        pytest.param({"include": "*.yaml"}, "envs/prod/service.yml", None, id="include-one-glob"),
        pytest.param({"include": "{*.yml,*.json}"}, "envs/prod/service.yml", TOP, id="include-brace-list"),
        pytest.param({"include": "{*.yml,*.json}"}, "envs/prod/deployment.yaml", None, id="include-brace-list-out"),
        pytest.param({"include": "deployment.yaml"}, "envs/prod/deployment.yaml", TOP, id="include-a-name"),
        pytest.param(
            {"recurse": True, "include": "*.yaml"}, "envs/prod/jobs/nightly.yaml", DEEP, id="star-crosses-slash"
        ),
        pytest.param(
            {"recurse": True, "exclude": "jobs/*"}, "envs/prod/jobs/deep/weekly.yaml", None, id="exclude-subtree"
        ),
        pytest.param(
            {"recurse": True, "exclude": "jobs/*"}, "envs/prod/deployment.yaml", DEEP, id="exclude-others-stay"
        ),
        pytest.param(
            {"recurse": True, "exclude": "{nightly.yaml}"},
            "envs/prod/jobs/nightly.yaml",
            DEEP,
            id="exclude-matches-the-relative-path-not-the-name",
        ),
        pytest.param(
            {"include": "*.yaml", "exclude": "deployment.yaml"}, "envs/prod/deployment.yaml", None, id="exclude-wins"
        ),
        pytest.param(
            {"exclude": "{deployment.yaml"}, "envs/prod/deployment.yaml", TOP, id="a-bad-glob-matches-nothing"
        ),
    ],
)
def test_a_directory_source_deploys_the_manifests_argo_cd_reads_there(
    directory: dict[str, Any], changed: str, why: str | None
) -> None:
    options = {"directory": directory} if directory else {}
    assert whys(DIRECTORY, [app("prod", git("envs/prod", **options))], changed) == ([why] if why else [])


def test_a_source_at_the_root_holds_the_whole_repository() -> None:
    root = app("root", git(".", directory={"recurse": True}))
    assert whys(DIRECTORY, [root], "envs/staging/deployment.yaml") == ["under its source path . (recurse)"]
    assert whys(DIRECTORY, [app("flat", git("."))], "envs/staging/deployment.yaml") == []


# --- kustomize -----------------------------------------------------------------------------------------------

KUSTOMIZE = {
    "base/kustomization.yaml": """\
resources: [deployment.yaml, ../shared/config]
configMapGenerator:
  - name: settings
    files: [app.properties, extra=extra.conf]
    envs: [settings.env]
crds: [crd.yaml]
""",
    "base/deployment.yaml": "kind: Deployment\nmetadata: {name: web}\n",
    "base/app.properties": "a=1\n",
    "base/extra.conf": "b=2\n",
    "base/settings.env": "C=3\n",
    "base/crd.yaml": "kind: CustomResourceDefinition\n",
    "base/unused.yaml": "kind: ConfigMap\n",
    "shared/config/kustomization.yml": "resources: [cm.yaml]\n",
    "shared/config/cm.yaml": "kind: ConfigMap\n",
    "components/debug/kustomization.yaml": "kind: Component\npatches:\n  - path: debug.yaml\n",
    "components/debug/debug.yaml": "kind: Deployment\nmetadata: {name: web}\n",
    "envs/prod/kustomization.yaml": """\
resources:
  - ../../base
  - https://github.com/acme/remote//base?ref=v1
  - github.com/acme/other/base
components: [../../components/debug]
patches:
  - path: replicas.yaml
  - patch: |
      kind: Deployment
      metadata: {name: web}
patchesStrategicMerge:
  - strategic.yaml
  - |
    kind: Deployment
    metadata: {name: web}
patchesJson6902:
  - target: {kind: Deployment, name: web}
    path: json-patch.yaml
""",
    "envs/prod/replicas.yaml": "kind: Deployment\n",
    "envs/prod/strategic.yaml": "kind: Deployment\n",
    "envs/prod/json-patch.yaml": "- {op: add, path: /x, value: 1}\n",
    "envs/prod/notes.yaml": "kind: ConfigMap\n",  # beside the kustomization, not named by it
    "envs/prod/.argocd-source-prod.yaml": "kustomize: {images: [web:2]}\n",
    "cycle/a/kustomization.yaml": "resources: [../b]\n",
    "cycle/b/kustomization.yaml": "resources: [../a, b.yaml]\n",
    "cycle/b/b.yaml": "kind: ConfigMap\n",
    "named/Kustomization": "resources: [x.yaml]\n",
    "named/x.yaml": "kind: ConfigMap\n",
    "broken/kustomization.yaml": "resources: [unclosed\n",
    "broken/x.yaml": "kind: ConfigMap\n",
}


@pytest.mark.parametrize(
    ("path", "changed", "why"),
    [
        ("envs/prod", "envs/prod/kustomization.yaml", "kustomization of envs/prod"),
        ("envs/prod", "base/kustomization.yaml", "kustomization of envs/prod via ../../base"),
        ("envs/prod", "base/deployment.yaml", "kustomize resource of envs/prod via ../../base"),
        (
            "envs/prod",
            "shared/config/kustomization.yml",
            "kustomization of envs/prod via ../../base -> ../shared/config",
        ),
        ("envs/prod", "shared/config/cm.yaml", "kustomize resource of envs/prod via ../../base -> ../shared/config"),
        ("envs/prod", "base/app.properties", "kustomize generator input of envs/prod via ../../base"),
        ("envs/prod", "base/extra.conf", "kustomize generator input of envs/prod via ../../base"),
        ("envs/prod", "base/settings.env", "kustomize generator input of envs/prod via ../../base"),
        ("envs/prod", "base/crd.yaml", "kustomize CRD of envs/prod via ../../base"),
        (
            "envs/prod",
            "components/debug/kustomization.yaml",
            "kustomize component of envs/prod via ../../components/debug",
        ),
        ("envs/prod", "components/debug/debug.yaml", "kustomize patch of envs/prod via ../../components/debug"),
        ("envs/prod", "envs/prod/replicas.yaml", "kustomize patch of envs/prod"),
        ("envs/prod", "envs/prod/strategic.yaml", "kustomize patch of envs/prod"),
        ("envs/prod", "envs/prod/json-patch.yaml", "kustomize patch of envs/prod"),
        ("envs/prod", "envs/prod/.argocd-source-prod.yaml", "Argo CD parameter override in envs/prod"),
        ("envs/prod", "envs/prod/notes.yaml", None),
        ("envs/prod", "base/unused.yaml", None),
        ("cycle/a", "cycle/b/b.yaml", "kustomize resource of cycle/a via ../b"),
        ("cycle/a", "cycle/a/kustomization.yaml", "kustomization of cycle/a"),
        ("named", "named/x.yaml", "kustomize resource of named"),
        ("broken", "broken/kustomization.yaml", "kustomization of broken"),
        ("broken", "broken/x.yaml", None),
    ],
    ids=lambda value: value if isinstance(value, str) and "/" in value and " " not in value else None,
)
def test_a_kustomize_source_deploys_what_its_kustomization_reaches(path: str, changed: str, why: str | None) -> None:
    assert whys(KUSTOMIZE, [app("prod" if path == "envs/prod" else "other", git(path))], changed) == (
        [why] if why else []
    )


def test_a_kustomization_may_name_generators_transformers_replacements_and_helm_charts() -> None:
    files = {
        "k/kustomization.yaml": """\
generators: [gen.yaml]
transformers: [../plugins/labels]
validators:
  - |
    kind: Inline
replacements:
  - path: replacement.yaml
configurations: [names.yaml]
openapi: {path: schema.json}
helmGlobals: {chartHome: vendor}
helmCharts:
  - name: redis
    valuesFile: redis-values.yaml
    additionalValuesFiles: [redis-prod.yaml]
""",
        "k/gen.yaml": "kind: Generator\n",
        "plugins/labels/kustomization.yaml": "resources: [labels.yaml]\n",
        "plugins/labels/labels.yaml": "kind: LabelTransformer\n",
        "k/replacement.yaml": "source: {}\n",
        "k/names.yaml": "nameReference: []\n",
        "k/schema.json": "{}\n",
        "k/redis-values.yaml": "a: 1\n",
        "k/redis-prod.yaml": "a: 2\n",
        "k/vendor/redis/templates/x.yaml": "kind: Service\n",
        "k/charts/redis/Chart.yaml": "name: redis\n",  # the default chartHome, not the one in use
    }
    source = app("k", git("k"))
    expected = {
        "k/gen.yaml": "kustomize generator of k",
        "plugins/labels/labels.yaml": "kustomize resource of k via ../plugins/labels",
        "k/replacement.yaml": "kustomize replacement of k",
        "k/names.yaml": "kustomize transformer configuration of k",
        "k/schema.json": "kustomize OpenAPI schema of k",
        "k/redis-values.yaml": "kustomize Helm values of k",
        "k/redis-prod.yaml": "kustomize Helm values of k",
        "k/vendor/redis/templates/x.yaml": "kustomize Helm chart of k",
        "k/charts/redis/Chart.yaml": None,
    }
    found = mapping.deployers(files, [source], list(expected))
    assert {path: [r.why for r in reasons] for path, reasons in found.items()} == {
        path: [why] if why else [] for path, why in expected.items()
    }


# --- Helm ----------------------------------------------------------------------------------------------------

HELM = {
    "charts/web/Chart.yaml": """\
apiVersion: v2
name: web
version: 1.0.0
dependencies:
  - {name: lib, version: 1.0.0, repository: "file://../lib"}
  - {name: redis, version: 17.0.0, repository: https://charts.bitnami.com/bitnami}
""",
    "charts/web/Chart.lock": "dependencies: []\n",
    "charts/web/values.yaml": "image: {repository: web, tag: '1'}\n",
    "charts/web/values-prod.yaml": "replicas: 3\n",
    "charts/web/values-staging.yaml": "replicas: 1\n",
    "charts/web/templates/deployment.yaml": "replicas: {{ .Values.replicas }}\n",
    "charts/web/templates/_helpers.tpl": '{{- define "web.name" -}}web{{- end }}\n',
    "charts/web/charts/sub/Chart.yaml": "name: sub\n",
    "charts/web/crds/crd.yaml": "kind: CustomResourceDefinition\n",
    "charts/web/README.md": "# web\n",
    "charts/lib/Chart.yaml": "apiVersion: v2\nname: lib\ntype: library\n",
    "charts/lib/templates/_lib.tpl": '{{- define "lib.x" -}}{{- end }}\n',
    "charts/lib/NOTES.md": "# lib\n",
    "charts/files/Chart.yaml": "name: files\n",
    "charts/files/templates/config.yaml": 'data: {{ .Files.Get "conf/app.conf" | quote }}\n',
    "charts/files/conf/app.conf": "x = 1\n",
    "envs/prod/values.yaml": "replicas: 5\n",
    "envs/prod/secret.txt": "s3cr3t\n",
    "envs/prod/other.yaml": "a: 1\n",
}
CHART = "in the Helm chart at charts/web"


@pytest.mark.parametrize(
    ("changed", "why"),
    [
        ("charts/web/Chart.yaml", CHART),
        ("charts/web/Chart.lock", CHART),
        ("charts/web/values.yaml", CHART),
        ("charts/web/templates/deployment.yaml", CHART),
        ("charts/web/templates/_helpers.tpl", CHART),
        ("charts/web/charts/sub/Chart.yaml", CHART),
        ("charts/web/crds/crd.yaml", CHART),
        ("charts/web/values-prod.yaml", "Helm value file of source 0 (values-prod.yaml)"),
        ("charts/web/values-staging.yaml", None),  # another environment's: no template reads files
        ("charts/web/README.md", None),
        ("charts/lib/templates/_lib.tpl", "in its local dependency charts/lib"),
        ("charts/lib/NOTES.md", None),
        ("charts/files/templates/config.yaml", None),
    ],
)
def test_a_chart_in_git_deploys_what_helm_template_reads(changed: str, why: str | None) -> None:
    web = app("web-prod", git("charts/web", helm={"valueFiles": ["values-prod.yaml", "https://example.com/v.yaml"]}))
    assert whys(HELM, [web], changed) == ([why] if why else [])


def test_value_file_paths_are_resolved_as_argo_cds_repo_server_does() -> None:
    """``$ARGOCD_APP_*`` substituted (an unknown variable is empty), a leading ``/`` from the repository's root,
    and a file named by the revision unknown (only the build knows it)."""
    entries = ["values-$ARGOCD_APP_NAME.yaml", "/envs/${ARGOCD_APP_NAMESPACE}/web.yaml", "$ARGOCD_APP_REVISION.yaml"]
    web = app(
        "web-prod",
        git("charts/web", helm={"valueFiles": entries}),
        destination={"server": "https://kubernetes.default.svc", "namespace": "shop"},
    )
    files = {**HELM, "charts/web/values-web-prod.yaml": "a: 1\n", "envs/shop/web.yaml": "b: 2\n"}
    assert whys(files, [web], "charts/web/values-web-prod.yaml") == [
        "Helm value file of source 0 (values-$ARGOCD_APP_NAME.yaml)"
    ]
    assert whys(files, [web], "envs/shop/web.yaml") == [
        "Helm value file of source 0 (/envs/${ARGOCD_APP_NAMESPACE}/web.yaml)"
    ]
    env = helm.build_env("web-prod", "shop", web.sources[0])
    assert [helm.value_file(entry, "charts/web", {"values"}, env) for entry in (*entries, "$values/$NOPE/a.yaml")] == [
        (None, "charts/web/values-web-prod.yaml"),
        (None, "envs/shop/web.yaml"),
        None,  # the revision: only the build knows it
        ("values", "a.yaml"),  # a ref first, its path substituted after
    ]
    assert helm.value_file("$ARGOCD_APP_NAME/x.yaml", "charts/web", set(), env) == (None, "charts/web/web-prod/x.yaml")
    parameters = app("p", git("charts/web", helm={"fileParameters": [{"name": "x", "path": "/$NOPE/x.txt"}]}))
    assert whys({**files, "x.txt": "x"}, [parameters], "x.txt") == ["Helm file parameter x of source 0 (/$NOPE/x.txt)"]


def test_a_chart_whose_templates_read_files_deploys_all_its_files() -> None:
    files_app = app("files", git("charts/files"))
    assert whys(HELM, [files_app], "charts/files/conf/app.conf") == ["in the Helm chart at charts/files"]


def test_value_files_of_another_source_are_credited_to_the_source_with_that_ref() -> None:
    remote_chart = {
        "repoURL": CHARTS,
        "chart": "web",
        "targetRevision": "1.0.0",
        "helm": {
            "valueFiles": ["$values/envs/prod/values.yaml", "values-prod.yaml"],  # the second is in the package
            "fileParameters": [{"name": "secret", "path": "$values/envs/prod/secret.txt"}],
        },
    }
    multi = app("multi", remote_chart, git(ref="values"))
    found = mapping.deployers(HELM, [multi], ["envs/prod/values.yaml", "envs/prod/secret.txt", "envs/prod/other.yaml"])
    assert found == {
        "envs/prod/values.yaml": (Reason("multi", 1, "Helm value file of source 0 ($values/envs/prod/values.yaml)"),),
        "envs/prod/secret.txt": (
            Reason("multi", 1, "Helm file parameter secret of source 0 ($values/envs/prod/secret.txt)"),
        ),
        "envs/prod/other.yaml": (),
    }
    in_git = app("in-git", git("charts/web", helm={"valueFiles": ["$values/envs/prod/values.yaml"]}), git(ref="values"))
    assert mapping.deployers(HELM, [in_git], ["charts/web/values.yaml", "envs/prod/values.yaml"]) == {
        "charts/web/values.yaml": (Reason("in-git", 0, CHART),),
        "envs/prod/values.yaml": (Reason("in-git", 1, "Helm value file of source 0 ($values/envs/prod/values.yaml)"),),
    }
    elsewhere = app("elsewhere", remote_chart, {**git(ref="values"), "repoURL": "https://github.com/acme/other"})
    assert whys(HELM, [elsewhere], "envs/prod/values.yaml", repo_url=HERE) == []
    assert whys(HELM, [elsewhere], "envs/prod/values.yaml") == [  # no repo_url: every source is this repo
        "Helm value file of source 0 ($values/envs/prod/values.yaml)"
    ]


# --- which sources read this checkout ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("https://github.com/acme/config", "https://github.com/acme/config", True),
        ("https://github.com/acme/config.git", "https://github.com/acme/config", True),
        ("https://github.com/Acme/Config/", "https://github.com/acme/config", True),
        ("git@github.com:acme/config.git", "https://github.com/acme/config", True),
        ("ssh://git@github.com/acme/config", "https://github.com/acme/config", True),
        ("https://github.com/acme/config", "https://github.com/acme/config-2", False),
        ("https://gitlab.com/acme/config", "https://github.com/acme/config", False),
        ("ssh://git@git.example.com:2222/acme/config", "https://git.example.com/acme/config", False),
        (None, "https://github.com/acme/config", False),
    ],
)
def test_two_repo_urls_name_one_repository(one: str | None, other: str, same: bool) -> None:
    assert mapping.same_repository(one, other) is same


def test_with_a_repo_url_only_the_sources_of_that_repository_read_the_checkout() -> None:
    other = app("other", {**git("envs/prod"), "repoURL": "https://github.com/acme/elsewhere"})
    ssh = app("ssh", {**git("envs/prod"), "repoURL": "git@github.com:acme/config.git"})
    assert whys(DIRECTORY, [other, ssh], "envs/prod/deployment.yaml", repo_url=HERE) == [TOP]
    assert whys(DIRECTORY, [other, ssh], "envs/prod/deployment.yaml") == [TOP, TOP]


# --- the manifest-generate-paths annotation ------------------------------------------------------------------

ANNOTATED = {
    **DIRECTORY,
    "shared/settings.txt": "x\n",
    "envs/common/labels.yaml": "a: 1\n",
    "config/a.yaml": "a: 1\n",
    "config/sub/b.yaml": "b: 1\n",
}


@pytest.mark.parametrize(
    ("annotation", "changed", "why"),
    [
        (".", "envs/prod/README.md", "manifest-generate-paths ."),
        (".", "envs/prod/deployment.yaml", TOP),  # the source's own rule comes first
        (".", "envs/staging/deployment.yaml", None),
        ("/shared; ../common ;", "shared/settings.txt", "manifest-generate-paths /shared"),
        ("/shared; ../common ;", "envs/common/labels.yaml", "manifest-generate-paths ../common"),
        ("/shared; ../common ;", "envs/prod/README.md", None),
        ("/config/*.yaml", "config/a.yaml", "manifest-generate-paths /config/*.yaml"),
        ("/config/*.yaml", "config/sub/b.yaml", None),  # a glob's * stops at /
        ("/", "envs/staging/deployment.yaml", "manifest-generate-paths /"),
        ("/shared/settings.txt", "shared/settings.txt", "manifest-generate-paths /shared/settings.txt"),
        ("../../../outside", "shared/settings.txt", None),  # leaves the repository: ignored
    ],
)
def test_the_manifest_generate_paths_annotation_claims_files_as_argo_cd_reads_it(
    annotation: str, changed: str, why: str | None
) -> None:
    prod = app("prod", git("envs/prod"), annotations={mapping.ANNOTATION: annotation})
    assert whys(ANNOTATED, [prod], changed) == ([why] if why else [])


def test_a_relative_annotation_entry_counts_from_each_source_and_from_the_root_for_a_ref() -> None:
    both = app("both", git("envs/prod"), git("envs/staging"), annotations={mapping.ANNOTATION: "../common"})
    assert mapping.deployers(ANNOTATED, [both], ["envs/common/labels.yaml"])["envs/common/labels.yaml"] == (
        Reason("both", 0, "manifest-generate-paths ../common"),
        Reason("both", 1, "manifest-generate-paths ../common"),
    )
    remote_chart = {"repoURL": CHARTS, "chart": "web", "helm": {"valueFiles": ["$values/envs/prod/values.yaml"]}}
    with_ref = app("with-ref", remote_chart, git(ref="values"), annotations={mapping.ANNOTATION: "envs/prod"})
    assert mapping.deployers(HELM, [with_ref], ["envs/prod/other.yaml"])["envs/prod/other.yaml"] == (
        Reason("with-ref", 1, "manifest-generate-paths envs/prod"),
    )


# --- source types, overrides, hydrator -----------------------------------------------------------------------


def test_the_type_an_application_names_wins_over_what_its_path_holds() -> None:
    as_directory = app("other", git("envs/prod", directory={"recurse": False}))  # (prod's override is not its)
    assert whys(KUSTOMIZE, [as_directory], "envs/prod/notes.yaml") == [TOP]
    assert whys(KUSTOMIZE, [as_directory], "base/deployment.yaml") == []
    # prod's .argocd-source-prod.yaml adds kustomize options to a directory source: two types, nothing renders
    assert whys(KUSTOMIZE, [app("prod", git("envs/prod", directory={}))], "envs/prod/notes.yaml") == []
    conflicting = app("prod", git("envs/prod", directory={}, helm={}))  # Argo CD refuses it: renders nothing
    assert whys(KUSTOMIZE, [conflicting], "envs/prod/kustomization.yaml") == []
    assert whys(KUSTOMIZE, [conflicting], "envs/prod/.argocd-source.yaml") == [
        "Argo CD parameter override in envs/prod"
    ]
    plugin = app("prod", git("envs/prod", plugin={"name": "sops"}))
    assert whys(DIRECTORY, [plugin], "envs/prod/README.md") == [
        "under its source path envs/prod (config management plugin)"
    ]
    both = {"k/kustomization.yaml": "resources: [x.yaml]\n", "k/Chart.yaml": "name: k\n", "k/x.yaml": "a: 1\n"}
    assert whys(both, [app("k", git("k"))], "k/x.yaml") == ["kustomize resource of k"]  # as Argo CD's discovery


def test_a_hydrated_application_deploys_its_dry_source_and_its_hydrated_path() -> None:
    files = {
        "apps/guestbook/Chart.yaml": "name: guestbook\n",
        "apps/guestbook/templates/deployment.yaml": "kind: Deployment\n",
        "apps/guestbook/env/dev/values.yaml": "replicas: 1\n",
        "apps/guestbook/env/prd/values.yaml": "replicas: 3\n",
        "hydrated/guestbook-dev/manifest.yaml": "kind: Deployment\n",
    }
    hydrated = app(
        "guestbook-dev",
        sourceHydrator={
            "drySource": {
                "repoURL": HERE,
                "targetRevision": "HEAD",
                "path": "apps/guestbook",
                "helm": {"valueFiles": ["env/dev/values.yaml"]},
            },
            "syncSource": {"targetBranch": "env/dev", "path": "hydrated/guestbook-dev"},
        },
    )
    changed = [*files, "hydrated/guestbook-dev/README.md"]
    assert {
        path: [(r.source, r.why) for r in reasons]
        for path, reasons in mapping.deployers(files, [hydrated], changed).items()
    } == {
        "apps/guestbook/Chart.yaml": [(0, "hydrator dry source: in the Helm chart at apps/guestbook")],
        "apps/guestbook/templates/deployment.yaml": [(0, "hydrator dry source: in the Helm chart at apps/guestbook")],
        "apps/guestbook/env/dev/values.yaml": [
            (0, "hydrator dry source: Helm value file of source 0 (env/dev/values.yaml)")
        ],
        "apps/guestbook/env/prd/values.yaml": [],
        "hydrated/guestbook-dev/manifest.yaml": [(0, "hydrated manifests under hydrated/guestbook-dev (env/dev)")],
        "hydrated/guestbook-dev/README.md": [],
    }


def test_every_changed_path_is_answered_with_each_app_in_order_and_nobody_for_the_rest() -> None:
    apps = [
        app("prod", git("envs/prod")),
        app("all", git(".", directory={"recurse": True})),
        app("staging", git("envs/staging")),
    ]
    found = mapping.deployers(DIRECTORY, apps, ["envs/prod/deployment.yaml", "envs/prod/README.md", "nowhere.txt"])
    assert found == {
        "envs/prod/deployment.yaml": (Reason("prod", 0, TOP), Reason("all", 0, "under its source path . (recurse)")),
        "envs/prod/README.md": (),
        "nowhere.txt": (),
    }
    assert mapping.deployers(DIRECTORY, apps, []) == {}


# --- the corpus: real repositories ---------------------------------------------------------------------------


def checkout(root: Path) -> dict[str, str]:
    """Every text file under ``root``, by repository path."""
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            try:
                files[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
    return files


def applications_in(files: Mapping[str, str], values: Mapping[str, Any] | None = None) -> list[Application]:
    """The Applications of a checkout; ``values`` fills the ``{{ .Values.x | quote }}`` of a Helm template
    (the only templating the corpus' app-of-apps children use; anything else fails the test here)."""
    found = []
    for path, written in files.items():
        if not path.endswith((".yaml", ".yml")) or "kind: Application\n" not in written:
            continue
        text = written
        if values is not None:
            text = re.sub(r"\{\{ \.Values\.(\w+) \| quote \}\}", lambda m: json.dumps(values[m.group(1)]), text)
            assert "{{ ." not in text, path
        for document in manifests.load_documents(text, path):
            if document.get("kind") == "Application" and (parsed := applications.parse(document, path)) is not None:
                found.append(parsed)
    return found


DEMO_FACTS = [
    ("demo-apps/guestbook/env/prd/values.yaml", {"guestbook-github-prd"}),  # the gitlab apps read another repo
    ("demo-apps/guestbook/env/dev/values.yaml", {"guestbook-github-dev"}),
    (
        "demo-apps/guestbook/templates/deployment.yaml",
        {"guestbook-github-dev", "guestbook-github-e2e", "guestbook-github-prd"},
    ),
    ("manifests/demo-churn/github/cronjob.yaml", {"demo-churn"}),  # demo-config excludes {demo-churn/**}
    ("manifests/rbac.yaml", {"demo-config"}),
    ("charts/apps/templates/guestbook-github-dev.yaml", {"root-app"}),
    ("charts/monitoring/dashboards/gitops-promoter.json", {"monitoring"}),  # read through .Files.Get
    ("charts/argocd/templates/argocd-dex-github.sealed.yaml", {"argocd"}),
    ("promoter-config-gitlab/promotion-strategy.yaml", {"promoter-config"}),
    ("demo-apps/churn-trigger.txt", set()),
    ("README.md", set()),
]


@pytest.fixture
def demo(corpus: Path) -> tuple[dict[str, str], list[Application], str]:
    files = checkout(corpus / "repos" / "argoproj-labs+gitops-promoter-demo")
    values = manifests.load_documents(files["charts/apps/values.yaml"], "values.yaml")[0]
    return files, applications_in(files, values), str(values["repoURL"])


@pytest.mark.parametrize(("changed", "expected"), DEMO_FACTS, ids=[fact[0] for fact in DEMO_FACTS])
def test_the_gitops_promoter_demo(
    demo: tuple[dict[str, str], list[Application], str], changed: str, expected: set[str]
) -> None:
    files, apps, repo_url = demo
    assert len(apps) == 16
    assert {reason.application for reason in mapping.deployers(files, apps, [changed], repo_url)[changed]} == expected


def test_the_gitops_promoter_demo_details(demo: tuple[dict[str, str], list[Application], str]) -> None:
    files, apps, repo_url = demo
    found = mapping.deployers(
        files,
        apps,
        ["promoter-config-gitlab/promotion-strategy.yaml", "demo-apps/guestbook/env/prd/values.yaml"],
        repo_url,
    )
    assert found["promoter-config-gitlab/promotion-strategy.yaml"] == (
        Reason("promoter-config", 1, "under its source path promoter-config-gitlab (recurse)"),
    )
    assert found["demo-apps/guestbook/env/prd/values.yaml"] == (
        Reason("guestbook-github-prd", 0, "hydrator dry source: Helm value file of source 0 (env/prd/values.yaml)"),
    )


def test_the_gitops_promoter_demo_environment_branch(
    corpus: Path, demo: tuple[dict[str, str], list[Application], str]
) -> None:
    _, apps, repo_url = demo
    branch = checkout(corpus / "repos" / "argoproj-labs+gitops-promoter-demo@env-dev")
    changed = ["hydrated/guestbook-github-dev/manifest.yaml", "hydrated/guestbook-dev/manifest.yaml"]
    assert mapping.deployers(branch, apps, changed, repo_url) == {
        "hydrated/guestbook-github-dev/manifest.yaml": (
            Reason("guestbook-github-dev", 0, "hydrated manifests under hydrated/guestbook-github-dev (env/dev)"),
        ),
        "hydrated/guestbook-dev/manifest.yaml": (),  # no Application of the main branch syncs it
    }


def test_telefonistka(corpus: Path) -> None:
    test_data = corpus / "repos" / "commercetools+telefonistka" / "testdata" / "TestTelefonistka"
    apps = applications_in(checkout(test_data))  # additional.yaml: the Application its tests create
    files = checkout(test_data / "start")  # the repository its tests start from
    assert [a.name for a in apps] == ["demo"]
    changed = ["live/demo/values.yaml", "live/demo/templates/deployment.yaml", "workspace/demo/values.yaml"]
    assert mapping.deployers(files, apps, changed) == {  # repoURL is a template ({{.RepoURL}}): no repo_url
        "live/demo/values.yaml": (Reason("demo", 0, "in the Helm chart at live/demo"),),
        "live/demo/templates/deployment.yaml": (Reason("demo", 0, "in the Helm chart at live/demo"),),
        "workspace/demo/values.yaml": (),
    }


def test_argo_rollouts_examples(corpus: Path) -> None:
    files = checkout(corpus / "repos" / "argoproj+argo-rollouts")
    # The repository holds no Application: these are the ones a team would point at its examples.
    apps = [
        app("notifications", git("examples/notifications")),
        app("blue-green", git("examples/helm-blue-green")),
        app("examples", git("examples")),
    ]
    changed = [
        "examples/notifications/configmap.yaml",
        "examples/notifications/rollout-canary.yaml",
        "examples/helm-blue-green/templates/rollout.yaml",
        "examples/helm-blue-green/.helmignore",
        "examples/helm-blue-green/README.md",
        "examples/rollout-canary.yaml",
        "examples/dashboard.json",
        "examples/istio/istio-mirror.yaml",
    ]
    assert mapping.deployers(files, apps, changed) == {
        "examples/notifications/configmap.yaml": (
            Reason("notifications", 0, "kustomize patch of examples/notifications"),
        ),
        "examples/notifications/rollout-canary.yaml": (),  # beside the kustomization, not named by it
        "examples/helm-blue-green/templates/rollout.yaml": (
            Reason("blue-green", 0, "in the Helm chart at examples/helm-blue-green"),
        ),
        "examples/helm-blue-green/.helmignore": (
            Reason("blue-green", 0, "in the Helm chart at examples/helm-blue-green"),
        ),
        "examples/helm-blue-green/README.md": (),
        "examples/rollout-canary.yaml": (Reason("examples", 0, "under its source path examples"),),
        "examples/dashboard.json": (Reason("examples", 0, "under its source path examples"),),
        "examples/istio/istio-mirror.yaml": (),
    }


def test_overrides_in_the_source_path_are_merged_into_the_source() -> None:
    """Argo CD merges ``.argocd-source.yaml`` then ``.argocd-source-<app>.yaml`` into the source first."""
    files = {
        "apps/.argocd-source.yaml": "directory: {recurse: true}\n",
        "apps/sub/child.yaml": "kind: ConfigMap\n",
        "chart/Chart.yaml": "name: web\n",
        "chart/.argocd-source-web.yaml": "helm: {valueFiles: [values-prod.yaml]}\n",
        "chart/values-prod.yaml": "a: 1\n",
    }
    assert whys(files, [app("root", git("apps"))], "apps/sub/child.yaml") == ["under its source path apps (recurse)"]
    assert whys(files, [app("web", git("chart"))], "chart/values-prod.yaml") == [
        "Helm value file of source 0 (values-prod.yaml)"
    ]
    assert whys(files, [app("other", git("chart"))], "chart/values-prod.yaml") == []  # web's override, not other's


def test_an_absolute_source_path_deploys_nothing() -> None:
    """Argo CD refuses it ("app path is absolute"): nothing renders, so no file is the Application's."""
    absolute = app("abs", git("/envs/prod"))
    assert absolute.sources[0].path_error == "/envs/prod: app path is absolute"
    assert whys(DIRECTORY, [absolute], "envs/prod/deployment.yaml") == []
