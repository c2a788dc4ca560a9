"""kustomize's replacements: a source field copied into target fields, as ``kustomize build`` does them."""

from __future__ import annotations

from typing import Any

import pytest

from promoter.gitops import kustomize, replacements
from promoter.gitops.files import Tree
from promoter.gitops.manifests import ManifestError

ENV = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "env"},
    "data": {"path": "envs/prod", "ref": "v1.2.3"},
}


def application(name: str, **source: Any) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name},
        "spec": {"source": {"path": "ENV", "targetRevision": "main", **source}},
    }


def deployment() -> dict[str, Any]:
    containers = [{"name": "web", "image": "web:1"}, {"name": "proxy", "image": "envoy:1"}]
    return {
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": containers}}},
    }


@pytest.mark.parametrize(
    ("replacement", "check"),
    [
        pytest.param(
            {
                "source": {"kind": "ConfigMap", "name": "env", "fieldPath": "data.path"},
                "targets": [{"select": {"kind": "Application"}, "fieldPaths": ["spec.source.path"]}],
            },
            lambda out: [a["spec"]["source"]["path"] for a in out[1:3]] == ["envs/prod", "envs/prod"],
            id="every-selected-target",
        ),
        pytest.param(
            {
                "source": {"kind": "ConfigMap", "name": "env", "fieldPath": "data.path"},
                "targets": [
                    {"select": {"kind": "Application"}, "reject": [{"name": "b"}], "fieldPaths": ["spec.source.path"]}
                ],
            },
            lambda out: [a["spec"]["source"]["path"] for a in out[1:3]] == ["envs/prod", "ENV"],
            id="reject",
        ),
        pytest.param(
            {
                "source": {"kind": "ConfigMap", "name": "env"},
                "targets": [
                    {"select": {"name": "a"}, "fieldPaths": ["metadata.labels.from"], "options": {"create": True}}
                ],
            },
            lambda out: out[1]["metadata"]["labels"] == {"from": "prod-env"} and "labels" not in out[2]["metadata"],
            id="metadata-name-by-default-and-create",
        ),
        pytest.param(
            {
                "source": {"kind": "ConfigMap", "name": "env", "fieldPath": "data.path"},
                "targets": [{"select": {"name": "a"}, "fieldPaths": ["metadata.labels.from"]}],
            },
            lambda out: "labels" not in out[1]["metadata"],
            id="a-missing-field-without-create",
        ),
        pytest.param(
            {
                "source": {
                    "kind": "ConfigMap",
                    "name": "env",
                    "fieldPath": "data.ref",
                    "options": {"delimiter": ".", "index": 1},
                },
                "targets": [
                    {
                        "select": {"kind": "Application"},
                        "fieldPaths": ["spec.source.targetRevision"],
                        "options": {"delimiter": "-", "index": 1},
                    }
                ],
            },
            lambda out: out[1]["spec"]["source"]["targetRevision"] == "main-2",
            id="delimiters",
        ),
        pytest.param(
            {
                "source": {"kind": "ConfigMap", "name": "env", "fieldPath": "data.ref"},
                "targets": [
                    {"select": {"kind": "Deployment"}, "fieldPaths": ["spec.template.spec.containers.[name=web].image"]}
                ],
            },
            lambda out: [c["image"] for c in out[3]["spec"]["template"]["spec"]["containers"]] == ["v1.2.3", "envoy:1"],
            id="list-item-by-key",
        ),
        pytest.param(
            {
                "source": {"kind": "ConfigMap", "name": "env", "fieldPath": "data.ref"},
                "targets": [
                    {"select": {"kind": "Deployment"}, "fieldPaths": ["spec.template.spec.containers.*.image"]}
                ],
            },
            lambda out: [c["image"] for c in out[3]["spec"]["template"]["spec"]["containers"]] == ["v1.2.3", "v1.2.3"],
            id="every-item",
        ),
        pytest.param(
            {
                "source": {"kind": "ConfigMap", "name": "env", "fieldPath": "data.path"},
                "targets": [{"select": {"name": "a"}, "fieldPaths": ["spec.source.path"]}],
            },
            lambda out: out[1]["spec"]["source"]["path"] == "envs/prod" and out[1]["metadata"]["name"] == "prod-a",
            id="selected-by-the-name-before-the-prefix",
        ),
    ],
)
def test_replacements(replacement: dict[str, Any], check: Any) -> None:
    resources = [
        {**ENV, "metadata": {"name": "prod-env"}},
        {**application("a"), "metadata": {"name": "prod-a"}},
        {**application("b"), "metadata": {"name": "prod-b"}},
        deployment(),
    ]
    out = replacements.apply(resources, [replacement], "k.yaml", ("prod-", ""))
    assert check(out), out
    assert resources[1]["spec"]["source"]["path"] == "ENV"  # the input is left as it was


def test_a_source_must_select_exactly_one_resource() -> None:
    two = [ENV, ENV]
    replacement = {"source": {"kind": "ConfigMap"}, "targets": []}
    with pytest.raises(ManifestError, match=r"replacements\[0\].source: selects 2 resources"):
        replacements.apply(two, [replacement], "k.yaml", ("", ""))


def test_a_build_applies_replacements_last_and_reads_them_from_files() -> None:
    files = Tree(
        {
            "base/kustomization.yaml": "resources: [app.yaml]\n",
            "base/app.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web}\n"
            "spec: {source: {path: ENV}}\n",
            "prod/kustomization.yaml": "namePrefix: prod-\nresources: [../base, env.yaml]\nreplacements:\n- path: r.yaml\n",
            "prod/env.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: env}\ndata: {path: envs/prod}\n",
            "prod/r.yaml": "source: {kind: ConfigMap, name: env, fieldPath: data.path}\n"
            "targets:\n- select: {kind: Application}\n  fieldPaths: [spec.source.path]\n",
        }
    )
    built = {r["metadata"]["name"]: r for r in kustomize.build(files, "prod")}
    assert built["prod-web"]["spec"]["source"]["path"] == "envs/prod"
