"""How a source's type is decided and how a directory is read, in the product's model of the repo-server (the
simulator's rendering tests cover kustomize and Helm through it)."""

from __future__ import annotations

from typing import Any

import pytest

from promoter.gitops import render
from promoter.gitops.applications import Source
from promoter.gitops.files import Tree
from promoter.gitops.manifests import ManifestError
from promoter.gitops.render import SourceType

KUSTOMIZATION = {"a/kustomization.yaml": "resources: []\n"}
CHART = {"a/Chart.yaml": "name: a\n"}
BOTH = {**KUSTOMIZATION, **CHART}
PLAIN = {"a/x.yaml": "kind: ConfigMap\n"}


@pytest.mark.parametrize(
    ("files", "options", "kind"),
    [
        pytest.param(PLAIN, {}, SourceType.DIRECTORY, id="plain"),
        pytest.param(KUSTOMIZATION, {}, SourceType.KUSTOMIZE, id="kustomization"),
        pytest.param(CHART, {}, SourceType.HELM, id="chart"),
        pytest.param(BOTH, {}, SourceType.KUSTOMIZE, id="kustomize-wins-over-a-chart"),
        pytest.param(KUSTOMIZATION, {"directory": {}}, SourceType.DIRECTORY, id="named-directory"),
        pytest.param(PLAIN, {"helm": {}}, SourceType.HELM, id="named-helm"),
        pytest.param(CHART, {"plugin": {"name": "x"}}, SourceType.PLUGIN, id="named-plugin"),
        pytest.param(PLAIN, {"helm": None}, SourceType.DIRECTORY, id="a-null-option-names-nothing"),
    ],
)
def test_a_source_type_is_named_by_its_options_else_found_in_its_path(
    files: dict[str, str], options: dict[str, Any], kind: SourceType
) -> None:
    assert render.source_type(Source({"path": "a", **options}), Tree(files), "a") is kind


def test_a_source_naming_two_types_is_refused_as_argo_cd_does() -> None:
    with pytest.raises(ManifestError, match="multiple application sources defined: Kustomize,Helm"):
        render.source_type(Source({"path": "a", "helm": {}, "kustomize": {}}), Tree(PLAIN), "a")
    rendered = render.source(Source({"path": "a", "helm": {}, "kustomize": {}}), Tree(PLAIN), {}, "ns", "app")
    assert rendered.error == "a: multiple application sources defined: Kustomize,Helm"
    assert (
        render.source(Source({"path": "a", "helm": {}}), Tree(PLAIN), {}, "ns", "app").error
        == "a: Chart.yaml not found"
    )


def test_a_directory_reads_its_manifests_with_argo_cds_globs() -> None:
    files = Tree({**PLAIN, "a/jobs/x.yaml": "kind: Job\n", "a/gen.jsonnet": "{}", "a/notes.txt": "hi"})
    recurse = {"path": "a", "directory": {"recurse": True, "exclude": "{x.yaml}"}}
    kinds = [r["kind"] for r in render.source(Source(recurse), files, {}, "ns", "app").resources]
    assert kinds == ["Job"]  # a/x.yaml excluded by its relative path; jobs/x.yaml is not "x.yaml"; jsonnet unread
    plugin = render.source(Source({"path": "a", "plugin": {"name": "x"}}), files, {}, "ns", "app")
    assert (plugin.source_types, plugin.resources, plugin.error) == (("Plugin",), (), None)


@pytest.mark.parametrize(
    ("relative", "options", "read"),
    [
        ("x.yaml", {}, True),
        ("x.jsonnet", {}, True),
        ("x.txt", {}, False),
        ("d/x.yaml", {}, False),
        ("d/x.yaml", {"recurse": True}, True),
        ("d/x.yaml", {"recurse": "true"}, False),  # a string is not a bool: Argo CD's API would refuse it
        ("x.yaml", {"include": "y.yaml"}, False),
        ("x.yaml", {"include": "*.yaml", "exclude": "x.*"}, False),
    ],
)
def test_which_files_a_directory_source_reads(relative: str, options: dict[str, Any], read: bool) -> None:
    assert render.selected(relative, options) is read
