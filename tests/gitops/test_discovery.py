"""Discovery of every Argo CD Application of a checkout: small repos built here, and the corpus's real ones."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from promoter.gitops import discovery, documents
from promoter.gitops.appsets import Checkout
from promoter.gitops.found import Discovery, Location, Origin, Pending

REPO = "https://github.com/o/config"


def app(name: str, path: str | None = None, **extra: str) -> str:
    """An Application manifest reading ``path`` of this repo (``extra`` adds source fields)."""
    source = f"    repoURL: {extra.pop('repo', REPO)}\n    targetRevision: HEAD\n"
    if path is not None:
        source += f"    path: {path}\n"
    source += "".join(f"    {key}: {value}\n" for key, value in extra.items())
    return (
        f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\n"
        f"spec:\n  project: default\n  source:\n{source}"
        "  destination:\n    server: https://kubernetes.default.svc\n    namespace: default\n"
    )


def found(files: dict[str, str], **kwargs: Any) -> Discovery:
    return discovery.discover(Checkout(files), **kwargs)


def table(result: Discovery) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (f.name, f.origin.value, str(f.defined_in) if f.defined_in else None, f.parent or f.application_set)
        for f in result.applications
    ]


def test_plain_manifests_with_their_lines() -> None:
    files = {
        "apps/two.yaml": "# two apps and a config map\n---\n"
        + app("one", "x")
        + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n\n"
        + app("two", "y"),
        "apps/three.json": '{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "three"}}',
        "apps/other.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argoproj.io}\n",
        "notes.txt": app("not-yaml", "z"),
    }
    result = found(files)
    assert table(result) == [
        ("three", "manifest", "apps/three.json:1", None),
        ("one", "manifest", "apps/two.yaml:3", None),
        ("two", "manifest", "apps/two.yaml:23", None),
    ]
    assert result.problems == () and result.tree == {} and result.pending == ()


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        pytest.param("a: 1\n", [1], id="one"),
        pytest.param("\n# c\n--- \na: 1\n...\n---\nb: 2\n", [4, 7], id="markers-and-comments"),
        pytest.param("--- {a: 1}\n--- {b: 2}\n", [1, 2], id="content-on-the-marker"),
        pytest.param("%YAML 1.2\n---\na: 1\n---\n---\nb: 1\n", [3, 6], id="directive-and-empty-document"),
        pytest.param("a: 1\n---\n~\n---\nb: |\n  ---x\n", [1, 5], id="a-null-document"),
    ],
)
def test_document_lines(text: str, lines: list[int]) -> None:
    assert [line for line, _ in documents.of(text, "f.yaml")] == lines


def test_app_of_apps_tree_followed_recursively() -> None:
    files = {
        "bootstrap/root.yaml": app("root", "apps"),
        "apps/team.yaml": app("team", "teams/one"),
        "apps/web.yaml": app("web", "web"),
        "apps/nested/ignored.yaml": app("not-recursed", "web"),
        "teams/one/api.yaml": app("api", "api") + "---\n" + app("worker", "worker"),
        "web/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
    }
    result = found(files)
    assert table(result) == [  # roots in the order of their files, each followed by what it deploys
        ("not-recursed", "manifest", "apps/nested/ignored.yaml:1", None),
        ("root", "manifest", "bootstrap/root.yaml:1", None),
        ("team", "app-of-apps", "apps/team.yaml:1", "root"),
        ("api", "app-of-apps", "teams/one/api.yaml:1", "team"),
        ("worker", "app-of-apps", "teams/one/api.yaml:16", "team"),
        ("web", "app-of-apps", "apps/web.yaml:1", "root"),
    ]
    assert result.tree == {"root": ("team", "web"), "team": ("api", "worker")}


def test_directory_options_recurse_include_exclude() -> None:
    directory = "\n    directory:\n      recurse: true\n      exclude: '{skip/*,*.json}'"
    files = {
        "root.yaml": app("root", "apps").replace("    path: apps\n", "    path: apps" + directory + "\n"),
        "apps/a/a.yaml": app("a"),
        "apps/skip/s.yaml": app("s"),
        "apps/j.json": '{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "j"}}',
    }
    result = found(files)
    assert result.tree == {"root": ("a",)}
    assert {f.name: f.origin for f in result.applications}["s"] is Origin.MANIFEST


def test_self_managing_root_is_not_its_own_child() -> None:
    files = {"apps/root.yaml": app("root", "apps"), "apps/a.yaml": app("a", "a")}
    result = found(files)
    assert table(result) == [
        ("root", "manifest", "apps/root.yaml:1", None),
        ("a", "app-of-apps", "apps/a.yaml:1", "root"),
    ]
    assert result.cycles == () and result.problems == ()


def test_cycle_is_refused_with_the_chain() -> None:
    files = {"x/b-app.yaml": app("b", "y"), "y/a-app.yaml": app("a", "x"), "root.yaml": app("root", "z")}
    result = found(files)
    assert result.cycles == (("a", "b", "a"),)
    [problem] = result.problems
    assert str(problem) == "y/a-app.yaml:1: a cycle of Applications deploying each other: a -> b -> a"
    assert result.tree == {"a": ("b",)}  # broken above its first member
    assert [(f.name, f.origin.value, f.parent) for f in result.applications] == [
        ("root", "manifest", None),
        ("a", "manifest", None),
        ("b", "app-of-apps", "a"),
    ]


def test_kustomized_root_builds_patched_prefixed_children() -> None:
    files = {
        "root.yaml": app("root", "overlays/prod"),
        "base/kustomization.yaml": "resources: [guestbook.yaml]\n",
        "base/guestbook.yaml": "# the base app\n" + app("guestbook", "guestbook/base"),
        "overlays/prod/kustomization.yaml": textwrap.dedent(
            """\
            resources: [../../base]
            namePrefix: prod-
            patches:
            - target: {kind: Application}
              patch: |-
                - op: replace
                  path: /spec/source/targetRevision
                  value: v2
            """
        ),
    }
    result = found(files)
    assert table(result) == [
        ("root", "manifest", "root.yaml:1", None),
        ("prod-guestbook", "app-of-apps", "base/guestbook.yaml:2", "root"),
    ]
    child = result.applications[1].application
    assert child.sources[0].target_revision == "v2"


CHART = "apiVersion: v2\nname: apps\nversion: 0.1.0\n"


def test_a_root_with_an_absolute_path_has_no_children_and_says_why() -> None:
    files = {"root.yaml": app("root", "/apps"), "apps/child.yaml": app("child", "x")}
    result = found(files)
    assert table(result) == [
        ("child", "manifest", "apps/child.yaml:1", None),
        ("root", "manifest", "root.yaml:1", None),
    ]
    assert [str(p) for p in result.problems] == [
        "root.yaml:1: Application 'root', source 0 (apps): /apps: app path is absolute"
    ]


def test_a_kustomize_roots_own_options_shape_its_children() -> None:
    """Argo CD writes an Application's kustomize options into the kustomization before it builds:
    namePrefix, patches, components (``ignoreMissingComponents`` skips a missing one)."""
    options = (
        "{namePrefix: prod-, components: [../components/extra, ../components/gone, 'https://example.com/c.git//x'],"
        " ignoreMissingComponents: true,"
        " patches: [{target: {kind: Application}, patch: '[{op: replace, path: /spec/source/path, value: web/prod}]'}]}"
    )
    files = {
        "root.yaml": app("root", "apps", kustomize=options),
        "apps/kustomization.yaml": "resources: [web.yaml]\n",
        "apps/web.yaml": app("web", "web/base"),
        "components/extra/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
        "resources: [extra.yaml]\n",
        "components/extra/extra.yaml": app("extra", "extra"),
    }
    result = found(files)
    assert [(f.name, f.application.sources[0].path) for f in result.applications] == [
        ("root", "apps"),
        ("prod-web", "web/prod"),
        ("prod-extra", "web/prod"),
    ]
    assert result.problems == ()


APPS_TEMPLATE = (
    "{{- range $name, $app := .Values.apps }}{{- if $app.enabled }}\n---\n"
    + app(
        "{{ $.Values.owner }}-{{ $name }}",
        "{{ if $app.replicas }}{{ $name }}/scaled{{ else }}{{ $name }}/zero{{ end }}",
    )
    + "{{- end }}{{- end }}\n"
)


def test_helm_parameters_are_typed_and_substituted_as_argo_cd_sets_them() -> None:
    """``--set`` types a value (``false``, ``0``), ``forceString`` keeps it a string, ``$ARGOCD_APP_NAME``
    is substituted; ``valuesObject`` wins over ``values``."""
    helm = (
        "{parameters: [{name: apps.b.enabled, value: 'false'}, {name: apps.a.replicas, value: '0'},"
        " {name: apps.c.replicas, value: '0', forceString: true}, {name: owner, value: $ARGOCD_APP_NAME}],"
        " values: 'apps: {d: {enabled: true}}', valuesObject: {apps: {c: {enabled: true}}}}"
    )
    files = {
        "root.yaml": app("root", "charts/apps", helm=helm),
        "charts/apps/Chart.yaml": CHART,
        "charts/apps/values.yaml": "apps:\n  a: {enabled: true, replicas: 1}\n  b: {enabled: true}\n",
        "charts/apps/templates/apps.yaml": APPS_TEMPLATE,
    }
    result = found(files)
    assert [(f.name, f.application.sources[0].path) for f in result.applications] == [
        ("root", "charts/apps"),
        ("root-a", "a/zero"),  # replicas 0, an int: false
        ("root-c", "c/scaled"),  # "0", a string: true
    ]


def test_what_a_list_holds_and_what_only_argo_cd_renders() -> None:
    chart_with_subchart = {
        "sub/Chart.yaml": CHART,
        "sub/templates/x.yaml": "kind: ConfigMap\n",
        "sub/charts/inner/Chart.yaml": CHART,
        "sub/charts/inner/templates/app.yaml": app("inner", "{{ .Values.path }}"),
    }
    files = {
        "root.yaml": app("root", "apps"),
        "apps/list.yaml": "apiVersion: v1\nkind: List\nitems:\n- " + app("listed", "x").replace("\n", "\n  "),
        "helm-root.yaml": app("helm-root", "sub"),
        **chart_with_subchart,
        "kust-root.yaml": app("kust-root", "inflating"),
        "inflating/kustomization.yaml": "helmCharts:\n- {name: apps, repo: https://charts.example.com}\n",
    }
    result = found(files)
    assert ("listed", "root") in [(f.name, f.parent) for f in result.applications]
    assert [(p.parent, p.reason) for p in result.pending] == [
        ("helm-root", "sub: subcharts render Applications (charts/inner), not read here"),
        (
            "kust-root",
            "source 0 (inflating): inflating/kustomization.yaml inflates Helm charts (helmCharts), Argo CD's to render",
        ),
    ]


def test_roots_that_manage_themselves_are_no_cycle_and_no_duplicate() -> None:
    """An ApplicationSet generating the Application that deploys it, and a chart rendering its own root."""
    appset = (
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: admin}\nspec:\n"
        "  generators: [{list: {elements: [{n: admin}]}}]\n"
        f"  template: {{metadata: {{name: '{{{{n}}}}'}}, spec: {{source: {{repoURL: '{REPO}', path: sets}}}}}}\n"
    )
    files = {
        "sets/admin.yaml": appset,
        "root.yaml": app("root", "charts/root"),
        "charts/root/Chart.yaml": CHART,
        "charts/root/templates/apps.yaml": app("root", "charts/root") + "---\n" + app("child", "x"),
    }
    result = found(files)
    assert result.cycles == () and result.problems == ()
    assert [(f.name, f.parent) for f in result.applications] == [("root", None), ("child", "root"), ("admin", None)]


def test_a_child_without_a_namespace_is_created_in_its_parents_destination_namespace() -> None:
    bare = app("bare", "x").replace("  namespace: argocd\n", "", 1)
    root = app("root", "apps").replace("    namespace: default\n", "    namespace: team\n")
    result = found({"root.yaml": root, "apps/bare.yaml": bare, "apps/placed.yaml": app("placed", "y")})
    assert {f.name: f.application.namespace for f in result.applications} == {
        "root": "argocd",
        "bare": "team",  # Argo CD sets the parent's destination namespace on it
        "placed": "argocd",  # its own
    }


def test_a_file_that_does_not_parse_in_a_roots_folder_is_a_problem() -> None:
    files = {"root.yaml": app("root", "apps"), "apps/a.yaml": app("a", "x"), "apps/broken.yaml": "kind: X\n  a: [\n"}
    (problem,) = found(files).problems
    assert str(problem).startswith("root.yaml:1: Application 'root', source 0 (apps): apps/broken.yaml: invalid YAML")
    assert str(problem).endswith("(Argo CD renders nothing of the folder then)")


def test_jsonnet_in_a_roots_folder_is_pending() -> None:
    files = {"root.yaml": app("root", "apps"), "apps/a.yaml": app("a", "x"), "apps/b.jsonnet": "{}"}
    result = found(files)
    assert [f.name for f in result.applications] == ["root", "a"]
    assert result.pending == (
        Pending("root", "source 0 (apps): Argo CD evaluates its Jsonnet (apps/b.jsonnet), not read here"),
    )


def test_helm_reads_values_as_go_reads_yaml() -> None:
    """Helm's values are sigs.k8s.io/yaml's: YAML 1.1, so ``on`` is true (and a template testing it sees so)."""
    template = "{{- if eq .Values.enabled true }}\n" + app("child-{{ .Values.mode }}", "x") + "{{- end }}\n"
    files = {
        "root.yaml": app("root", "charts/apps"),
        "charts/apps/Chart.yaml": CHART,
        "charts/apps/values.yaml": "enabled: on\nmode: 0755\n",
        "charts/apps/templates/apps.yaml": template,
    }
    assert [f.name for f in found(files).applications] == ["root", "child-493"]


def test_helm_chart_root_renders_simple_templates() -> None:
    template = textwrap.dedent(
        """\
        {{- range $name, $app := .Values.apps }}
        ---
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata:
          name: {{ $name }}-{{ $.Values.env }}
          namespace: {{ $.Release.Namespace }}
        spec:
          project: {{ $app.project | default "default" }}
          source:
            repoURL: {{ $.Values.repoURL | quote }}
            path: {{ $app.path }}
            targetRevision: {{ $.Chart.Version }}
        {{- end }}
        """
    )
    files = {
        "root.yaml": app("root", "charts/apps", helm="{valueFiles: [envs/prod.yaml]}").replace(
            "    namespace: default\n", "    namespace: argo-apps\n"
        ),
        "charts/apps/Chart.yaml": CHART,
        "charts/apps/values.yaml": f"repoURL: {REPO}\nenv: dev\napps:\n  web: {{path: web}}\n",
        "charts/apps/envs/prod.yaml": "env: prod\napps:\n  api: {path: api, project: backend}\n",
        "charts/apps/templates/apps.yaml": template,
        "charts/apps/templates/plain.yaml": app("plain", "plain"),
        "charts/apps/templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}}\n",
    }
    result = found(files)
    assert table(result) == [
        ("root", "manifest", "root.yaml:1", None),
        ("api-prod", "app-of-apps", "charts/apps/templates/apps.yaml:3", "root"),
        ("web-prod", "app-of-apps", "charts/apps/templates/apps.yaml:3", "root"),
        ("plain", "app-of-apps", "charts/apps/templates/plain.yaml:1", "root"),
    ]
    api = result.applications[1].application
    assert (api.namespace, api.project, api.sources[0].spec) == (
        "argo-apps",
        "backend",
        {"repoURL": REPO, "path": "api", "targetRevision": "0.1.0"},
    )
    assert result.pending == ()


def test_helm_templates_outside_the_subset_are_left_to_argocd() -> None:
    files = {
        "root.yaml": app("root", "chart"),
        "chart/Chart.yaml": CHART,
        "chart/templates/_helpers.tpl": '{{- define "app" }}kind: Application\napiVersion: argoproj.io/v1alpha1{{ end }}',
        "chart/templates/apps.yaml": 'apiVersion: argoproj.io/v1alpha1\n{{ include "app" . }}\n',
    }
    result = found(files)
    assert [f.name for f in result.applications] == ["root"]
    assert [p.parent for p in result.pending] == ["root", "root"]
    assert "named templates" in result.pending[0].reason
    assert "chart/templates/apps.yaml: template" in result.pending[1].reason
    assert "unsupported function 'include'" in result.pending[1].reason


def test_helm_chart_from_a_helm_repository_is_not_followed() -> None:
    files = {"root.yaml": app("root", None, chart="argocd-apps", repo="https://argoproj.github.io/argo-helm")}
    result = found(files)
    assert (result.tree, result.pending) == ({}, ())


def test_plugin_source_is_pending() -> None:
    files = {"root.yaml": app("root", "apps", plugin="{name: cmp}"), "apps/a.yaml": app("a", "a")}
    result = found(files)
    assert result.pending == (Pending("root", "source 0 (apps) is rendered by a plugin"),)


def test_sources_of_other_repositories_are_not_followed() -> None:
    files = {
        "root.yaml": app("root", "apps", repo="https://github.com/someone/else"),
        "apps/a.yaml": app("a", "a"),
    }
    assert found(files).tree == {"root": ("a",)}  # no repo URL known: every repoURL is this checkout
    checkout = Checkout(files, ("git@github.com:o/config.git",))
    assert discovery.discover(checkout).tree == {}


APPSET = textwrap.dedent(
    """\
    apiVersion: argoproj.io/v1alpha1
    kind: ApplicationSet
    metadata:
      name: guestbook
    spec:
      goTemplate: true
      generators:
      - git:
          repoURL: https://github.com/o/config
          directories:
          - path: envs/*
      template:
        metadata:
          name: 'guestbook-{{.path.basename}}'
        spec:
          project: default
          source: {repoURL: 'https://github.com/o/config', path: '{{.path.path}}', targetRevision: HEAD}
          destination: {server: 'https://kubernetes.default.svc', namespace: guestbook}
    """
)


def test_application_set_in_a_roots_folder() -> None:
    files = {
        "root.yaml": app("root", "sets"),
        "sets/guestbook.yaml": "# generated per environment\n" + APPSET,
        "envs/dev/deploy.yaml": "kind: Deployment\n",
        "envs/prd/deploy.yaml": "kind: Deployment\n",
    }
    result = found(files)
    assert table(result) == [
        ("root", "manifest", "root.yaml:1", None),
        ("guestbook-dev", "applicationset", "sets/guestbook.yaml:2", "guestbook"),
        ("guestbook-prd", "applicationset", "sets/guestbook.yaml:2", "guestbook"),
    ]
    assert result.tree == {
        "root": ("ApplicationSet/guestbook",),
        "ApplicationSet/guestbook": ("guestbook-dev", "guestbook-prd"),
    }
    [appset] = result.application_sets
    assert (appset.name, appset.parent, appset.defined_in, appset.generators, appset.applications) == (
        "guestbook",
        "root",
        Location("sets/guestbook.yaml", 2),
        ("git directories",),
        ("guestbook-dev", "guestbook-prd"),
    )
    assert result.applications[1].params == {
        "path": {"path": "envs/dev", "basename": "dev", "basenameNormalized": "dev", "segments": ["envs", "dev"]}
    }


CLUSTER_SET = APPSET.replace(
    "  - git:\n      repoURL: https://github.com/o/config\n      directories:\n      - path: envs/*\n",
    "  - clusters: {}\n",
).replace("{{.path.basename}}", "{{.name}}")


def test_cluster_generator_pending_offline_resolved_with_clusters() -> None:
    files = {"sets/guestbook.yaml": CLUSTER_SET}
    offline = found(files)
    assert offline.applications == ()
    assert offline.pending[0].parent == "ApplicationSet/guestbook"
    assert "lists Argo CD's clusters" in (offline.application_sets[0].unresolved or "")
    online = found(files, clusters=[{"name": "in-cluster", "server": "https://kubernetes.default.svc"}])
    assert [f.name for f in online.applications] == ["guestbook-in-cluster"]
    assert online.pending == ()


def test_live_applications_fill_in_what_only_argocd_knows() -> None:
    files = {
        "root.yaml": app("root", "chart"),
        "chart/Chart.yaml": CHART,
        "chart/templates/apps.yaml": 'apiVersion: argoproj.io/v1alpha1\n{{ include "apps" . }}\n',
        "sets/guestbook.yaml": CLUSTER_SET,
        "apps/grandchild.yaml": app("grandchild", "g"),
    }
    live = [
        {"metadata": {"name": "by-label", "labels": {"app.kubernetes.io/instance": "root"}}, "spec": {}},
        {
            "metadata": {
                "name": "by-annotation",
                "annotations": {"argocd.argoproj.io/tracking-id": "root:argoproj.io/Application:argocd/by-annotation"},
            },
            "spec": {"source": {"repoURL": REPO, "path": "apps"}},
        },
        {
            "metadata": {"name": "generated", "ownerReferences": [{"kind": "ApplicationSet", "name": "guestbook"}]},
            "spec": {},
        },
        {"metadata": {"name": "root"}, "spec": {}},  # known already
        {"metadata": {"name": "stranger", "labels": {"app.kubernetes.io/instance": "nobody"}}},
    ]
    result = found(files, live=live)
    assert table(result) == [
        ("root", "manifest", "root.yaml:1", None),
        ("by-label", "argocd-api", None, "root"),
        ("by-annotation", "argocd-api", None, "root"),
        ("grandchild", "app-of-apps", "apps/grandchild.yaml:1", "by-annotation"),
        ("generated", "argocd-api", None, "guestbook"),
    ]
    assert result.pending == ()


def test_problems_name_file_and_line_and_the_rest_is_read() -> None:
    files = {
        "a/broken.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: [x\n",
        "a/first.yaml": app("good", "g"),
        "a/second.yaml": app("good", "h"),
        "a/nameless.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {}\n",
        "b/p1.yaml": app("p1", "shared"),
        "b/p2.yaml": app("p2", "shared"),
        "shared/child.yaml": app("child", "c"),
    }
    result = found(files)
    assert [f.name for f in result.applications] == ["good", "p1", "child", "p2"]
    messages = [(p.file, p.line, p.message) for p in result.problems]
    assert messages[0][:2] == ("a/broken.yaml", 5) and messages[0][2].startswith("invalid YAML")
    assert messages[1:] == [
        ("a/nameless.yaml", 1, "an Application without metadata.name"),
        ("a/second.yaml", 1, "a second Application named 'good' (the first, a/first.yaml:1, is kept)"),
        ("shared/child.yaml", 1, "child is deployed by both p1 and p2 (p2's claim is ignored)"),
    ]


def test_sources_that_cannot_be_read_are_problems_or_pending() -> None:
    files = {
        "kustomized.yaml": app("kustomized", "overlay"),
        "overlay/kustomization.yaml": "resources: [missing.yaml, app.yaml]\n",
        "overlay/app.yaml": app("consumed", "c"),
        "apps/a.yaml": app("a", "a"),
        "charted.yaml": app("charted", "chart", helm="{valueFiles: [missing.yaml]}"),
        "chart/Chart.yaml": CHART,
        "chart/templates/app.yaml": app("{{ .Values.name }}", "x"),
        "sets/broken.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: broken}\n"
        "spec:\n  generators: [{matrix: {generators: [{list: {elements: []}}]}}]\n",
        "sets/twice.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: twice}\n"
        "spec:\n  generators: [{list: {elements: [{n: a}]}}]\n  template: {metadata: {name: '{{n}}'}}\n",
    }
    result = found(files)
    assert [str(p) for p in result.problems] == [
        "kustomized.yaml:1: Application 'kustomized', source 0 (overlay): overlay/kustomization.yaml: resource"
        " 'missing.yaml' not found",
        "sets/broken.yaml:1: ApplicationSet 'broken': spec.generators[0].matrix: a matrix combines exactly two generators",
        "sets/twice.yaml:1: ApplicationSet 'twice' generates an Application named 'a', which exists already"
        " (in apps/a.yaml:1; that one is kept)",
    ]
    assert result.pending == (Pending("charted", "chart: chart: value file 'missing.yaml' not found"),)
    broken = {s.name: s for s in result.application_sets}["broken"]
    assert broken.applications == () and broken.unresolved is None
    assert "consumed" not in {f.name for f in result.applications}  # a build's input, not an app of its own


def test_chart_templates_are_not_manifests_of_their_own() -> None:
    files = {"chart/Chart.yaml": CHART, "chart/templates/app.yaml": app("templated", "t")}
    assert found(files).applications == ()


# --- the corpus -------------------------------------------------------------------------------------------


def checkout_of(root: Path) -> Checkout:
    files = {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in root.rglob("*") if p.is_file()}
    return Checkout(files)


def test_gitops_promoter_demo_root_and_its_helm_children(corpus: Path) -> None:
    """The children the corpus lists for the demo's app-of-apps root (``discovery`` in scenarios.yaml)."""
    expected = next(
        row
        for row in YAML(typ="safe").load((corpus / "scenarios.yaml").read_text(encoding="utf-8"))["discovery"]
        if row["repo"] == "argoproj-labs/gitops-promoter-demo"
    )
    result = discovery.discover(checkout_of(corpus / "repos" / "argoproj-labs+gitops-promoter-demo"))
    root, *children = result.applications
    assert (root.name, root.origin, root.defined_in) == (
        "root-app",
        Origin.MANIFEST,
        Location(expected["root_application_manifest"], 1),
    )
    assert root.application.sources[0].path == expected["root_path"]
    assert [(c.name, c.origin, c.parent, c.defined_in) for c in children] == [
        (child["name"], Origin.APP_OF_APPS, "root-app", Location(child["template"], 1))
        for child in expected["children"]
    ]
    for child, row in zip(children, expected["children"], strict=True):
        app = child.application
        if "paths" in row:
            assert [s.path for s in app.sources] == row["paths"]
        elif "path" in row:
            assert app.sources[0].path == row["path"]
        else:
            hydrator = app.hydrator
            assert hydrator is not None
            assert hydrator.dry.path == row["drySource"]["path"]
            assert hydrator.dry.option("helm")["valueFiles"] == row["drySource"]["valueFiles"]
            assert hydrator.sync.path == row["syncSource"]["path"]
            assert hydrator.sync.target_revision == row["syncSource"]["targetBranch"]
            values_key = row["repoURL_value"].removeprefix(".Values.")
            assert (
                hydrator.dry.repo_url
                in {
                    "repoURL": "https://github.com/argoproj-labs/gitops-promoter-demo",
                    "guestbookGitLabRepoURL": "https://gitlab.com/gitops-promoter-group/gitops-promoter-project.git",
                }[values_key]
            )
    assert result.tree == {"root-app": tuple(row["name"] for row in expected["children"])}
    assert (result.pending, result.problems, result.cycles) == ((), (), ())


@pytest.mark.parametrize(
    ("repo", "expected"),
    [
        pytest.param(
            "commercetools+telefonistka",
            [("demo", "manifest", "testdata/TestTelefonistka/additional.yaml:1", None)],
            id="telefonistka",
        ),
        pytest.param("argoproj+argo-rollouts", [], id="argo-rollouts-examples"),
        pytest.param("istio+istio", [], id="istio-samples"),
        pytest.param("argoproj-labs+gitops-promoter-demo@env-dev", [], id="demo-hydrated-branch"),
    ],
)
def test_corpus_repositories(corpus: Path, repo: str, expected: list[tuple[str, str, str, str | None]]) -> None:
    result = discovery.discover(checkout_of(corpus / "repos" / repo))
    assert table(result) == expected
    assert (result.tree, result.pending, result.problems) == ({}, (), ())


def test_an_application_set_without_a_namespace_generates_in_its_parents_namespace_whatever_the_file_order() -> None:
    """The set's file comes first in the walk, its parent's after: it waits for the parent to place it."""
    appset = (
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: team-set}\nspec:\n"
        "  generators: [{list: {elements: [{n: one}]}}]\n"
        f"  template: {{metadata: {{name: '{{{{n}}}}'}}, spec: {{source: {{repoURL: '{REPO}', path: x}}}}}}\n"
    )
    root = app("root", "a-sets").replace("    namespace: default\n", "    namespace: team\n")
    result = found({"a-sets/set.yaml": appset, "z-root.yaml": root})
    assert {f.name: (f.application.namespace, f.parent) for f in result.applications} == {
        "root": ("argocd", None),
        "one": ("team", None),  # generated in the set's namespace: its parent's destination namespace
    }


@pytest.mark.parametrize(
    ("names", "text", "found"),
    [
        ({"app.yaml"}, "resources:\n  - app.yaml\n", True),
        ({"app.yaml"}, "resources:\n  - ../apps/app.yaml\n", True),
        ({"app.yaml"}, "resources:\n  - myapp.yaml\n", True),  # a substring, as a name may be spelt in a path
        ({"app.yaml"}, "resources:\n  - app.yml\n  - app.yaml.bak\n", True),
        ({"app.yaml"}, "resources:\n  - app.yml\n  - other.yaml\n", False),
        ({"app.yaml", "root.yml"}, "resources: [x.yaml, root.yml]", True),
        ({"app.yaml", "a.json"}, "patches:\n  - path: a.json\n", True),
        ({"app.yaml"}, "", False),
        ({"app.yaml"}, ".yaml", False),  # a suffix at the start: nothing before it
        (set(), "resources: [app.yaml]", False),
    ],
)
def test_names_any_is_a_substring_test_of_every_name(names: set[str], text: str, found: bool) -> None:
    assert discovery.names_any(names, [text]) is found
    assert discovery.names_any(names, ["", text, ""]) is found
    assert found is any(name in text for name in names)  # the plain definition it stands for


_NAME = st.builds(str.__add__, st.text("ab.-", max_size=4), st.sampled_from((".yaml", ".yml", ".json")))


@given(st.sets(_NAME, max_size=4), st.text("ab.-/ \nyamljson", max_size=40))
def test_names_any_agrees_with_the_plain_definition(names: set[str], text: str) -> None:
    assert discovery.names_any(names, [text]) is any(name in text for name in names)
