"""ApplicationSet generators and templates, resolved against small checkouts built here."""

from __future__ import annotations

from typing import Any

import pytest

from promoter.gitops import appsets, gofunctions, gotemplate
from promoter.gitops.appsets import AppSetError, Checkout, Unresolved

FILES = {
    "apps/a/kustomization.yaml": "resources: []\n",
    "apps/b/deploy.yaml": "kind: ConfigMap\n",
    "apps/b/sub/deploy.yaml": "kind: ConfigMap\n",
    "apps/skip/deploy.yaml": "kind: ConfigMap\n",
    "apps/.hidden/deploy.yaml": "kind: ConfigMap\n",
    "apps/Team_One/deploy.yaml": "kind: ConfigMap\n",
    "config/dev/config.json": '{"cluster": {"name": "dev", "address": "https://1.1.1.1"}, "replicas": 1, "tags": ["x"]}',
    "config/prod/config.json": '{"cluster": {"name": "prod", "address": "https://2.2.2.2"}, "replicas": 3.0}',
    "config/prod/extra/config.json": '{"cluster": {"name": "extra"}}',
    "config/many.yaml": "- cluster: {name: one}\n- cluster: {name: two}\n",
    "README.md": "# not YAML\n",
}
CHECKOUT = Checkout(FILES)
CLUSTERS = [
    {"name": "in-cluster", "server": "https://kubernetes.default.svc"},
    {"name": "Prod_EU", "server": "https://prod.example.com", "labels": {"env": "prod"}, "project": "p"},
    {"name": "dev", "server": "https://dev.example.com", "labels": {"env": "dev"}, "annotations": {"team": "a"}},
]


def appset(generators: list[Any], name: str = "{{path.basename}}", go: bool = False, **spec: Any) -> dict[str, Any]:
    template = spec.pop("template", None) or {
        "metadata": {"name": name},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://github.com/o/r", "path": "{{.path.path}}" if go else "{{path}}"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": name},
        },
    }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": "set", "namespace": "argo"},
        "spec": {"goTemplate": go, "generators": generators, "template": template, **spec},
    }


def names(document: dict[str, Any], checkout: Checkout = CHECKOUT, **kwargs: Any) -> list[str]:
    return [g.application.name for g in appsets.expand(document, checkout, "sets/set.yaml", 3, **kwargs).applications]


def params(document: dict[str, Any], **kwargs: Any) -> list[dict[str, Any]]:
    return [dict(g.params) for g in appsets.expand(document, CHECKOUT, "sets/set.yaml", 3, **kwargs).applications]


# --- generators -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("generator", "name", "go", "expected"),
    [
        pytest.param(
            {"list": {"elements": [{"cluster": "dev", "url": "u1"}, {"cluster": "prod", "url": "u2"}]}},
            "{{cluster}}-app",
            False,
            ["dev-app", "prod-app"],
            id="list",
        ),
        pytest.param(
            {"list": {"elements": [{"cluster": "dev", "values": {"size": "big"}}]}},
            "{{cluster}}-{{values.size}}",
            False,
            ["dev-big"],
            id="list-values",
        ),
        pytest.param(
            {"list": {"elements": [{"env": "dev", "n": 1}]}}, "{{.env}}-{{.n}}", True, ["dev-1"], id="list-go"
        ),
        pytest.param(
            {"list": {"elements": [{"env": "a"}], "elementsYaml": "- env: b\n- env: c\n"}},
            "{{env}}",
            False,
            ["a", "b", "c"],
            id="list-elementsYaml",
        ),
        pytest.param(
            {"git": {"repoURL": "https://github.com/o/r", "directories": [{"path": "apps/*"}]}},
            "{{path.basename}}",
            False,
            ["Team_One", "a", "b", "skip"],
            id="git-directories-one-level-no-hidden",
        ),
        pytest.param(
            {"git": {"directories": [{"path": "apps/*"}, {"path": "apps/skip", "exclude": True}]}},
            "{{path[1]}}",
            False,
            ["Team_One", "a", "b"],
            id="git-directories-exclude",
        ),
        pytest.param(
            {"git": {"directories": [{"path": "apps/**"}]}},
            "{{path.basenameNormalized}}",
            False,
            ["team-one", "a", "b", "skip"],
            id="git-directories-doublestar-is-one-level",
        ),
        pytest.param(
            {"git": {"directories": [{"path": "apps/b*"}, {"path": "apps/*/sub"}]}},
            "{{path[0]}}-{{path[1]}}-{{path.basename}}",
            False,
            ["apps-b-b", "apps-b-sub"],
            id="git-directories-patterns",
        ),
        pytest.param(
            {"git": {"directories": [{"path": "apps/*"}, {"path": "apps/skip", "exclude": True}]}},
            "{{.path.basename}}-{{index .path.segments 0}}-{{.path.basenameNormalized}}",
            True,
            ["Team_One-apps-team-one", "a-apps-a", "b-apps-b"],
            id="git-directories-go",
        ),
        pytest.param(
            {"git": {"files": [{"path": "config/*/config.json"}]}},
            "{{cluster.name}}-{{path.basename}}-{{path[1]}}-{{path.filename}}",
            False,
            ["dev-dev-dev-config.json", "prod-prod-prod-config.json", "extra-extra-prod-config.json"],
            id="git-files-greedy-default",
        ),
        pytest.param(
            {"git": {"files": [{"path": "config/**/config.json"}, {"path": "config/prod/extra/*", "exclude": True}]}},
            "{{cluster.name}}",
            False,
            ["dev", "prod"],
            id="git-files-exclude",
        ),
        pytest.param(
            {"git": {"files": [{"path": "config/*/config.json"}]}},
            "{{.cluster.name}}-{{.path.basename}}-{{index .path.segments 1}}-{{.replicas}}",
            True,
            ["dev-dev-dev-1", "prod-prod-prod-3", "extra-extra-prod-<no value>"],
            id="git-files-go",
        ),
        pytest.param(
            {"git": {"files": [{"path": "config/many.yaml"}]}},
            "{{cluster.name}}-{{path}}",
            False,
            ["one-config", "two-config"],
            id="git-files-list-of-objects",
        ),
        pytest.param(
            {"clusters": {}},
            "{{nameNormalized}}",
            False,
            ["in-cluster", "prod-eu", "dev"],
            id="cluster-all",
        ),
        pytest.param(
            {"clusters": {"selector": {"matchLabels": {"env": "prod"}}, "values": {"tier": "t-{{name}}"}}},
            "{{name}}-{{metadata.labels.env}}-{{values.tier}}",
            False,
            ["Prod_EU-prod-t-Prod_EU"],
            id="cluster-selector-values",
        ),
        pytest.param(
            {"clusters": {"selector": {"matchExpressions": [{"key": "env", "operator": "In", "values": ["dev"]}]}}},
            "{{.name}}-{{.metadata.labels.env}}-{{.metadata.annotations.team}}",
            True,
            ["dev-dev-a"],
            id="cluster-go",
        ),
    ],
)
def test_generator(generator: dict[str, Any], name: str, go: bool, expected: list[str]) -> None:
    assert names(appset([generator], name, go), clusters=CLUSTERS) == expected


def test_git_files_new_globbing_keeps_star_to_one_level() -> None:
    document = appset([{"git": {"files": [{"path": "config/*/config.json"}]}}], "{{cluster.name}}")
    assert names(document, new_file_globbing=True) == ["dev", "prod"]
    document = appset([{"git": {"files": [{"path": "config/{dev,prod}/**/config.json"}]}}], "{{cluster.name}}")
    assert names(document, new_file_globbing=True) == ["dev", "prod", "extra"]


def test_git_files_flatten_keys_and_path_params() -> None:
    document = appset([{"git": {"files": [{"path": "config/dev/config.json"}], "values": {"v": "{{tags.0}}"}}}])
    assert params(document) == [
        {
            "cluster.name": "dev",
            "cluster.address": "https://1.1.1.1",
            "replicas": "1",
            "tags.0": "x",
            "path": "config/dev",
            "path.basename": "dev",
            "path.filename": "config.json",
            "path.basenameNormalized": "dev",
            "path.filenameNormalized": "config.json",
            "path[0]": "config",
            "path[1]": "dev",
            "values.v": "x",
        }
    ]


def test_git_files_are_read_as_go_reads_yaml() -> None:
    """sigs.k8s.io/yaml, as Argo CD reads a git file: YAML 1.1, where yes/on are booleans and 0755 is octal."""
    files = {**FILES, "flags/a.yaml": "name: a\nenabled: yes\nmode: 0755\nwhen: 2024-01-01\n"}
    document = appset([{"git": {"files": [{"path": "flags/*.yaml"}]}}])
    (found,) = [dict(g.params) for g in appsets.expand(document, Checkout(files), "sets/set.yaml", 3).applications]
    assert (found["enabled"], found["mode"], found["when"]) == ("true", "493", "2024-01-01")


@pytest.mark.parametrize("go", [False, True])
def test_numbers_of_git_files_print_as_gos_float64(go: bool) -> None:
    """Argo CD reads a git file into JSON's float64: Go prints 1000000 as 1e+06 (and 8080 as 8080)."""
    files = {**FILES, "n/a.yaml": "port: 8080\nbig: 1000000\nratio: 0.5\n"}
    name = "{{.port}}-{{.big}}-{{.ratio}}" if go else "{{port}}-{{big}}-{{ratio}}"
    document = appset([{"git": {"files": [{"path": "n/*.yaml"}]}}], "x", go=go)
    document["spec"]["template"]["metadata"]["labels"] = {"n": name}
    (found,) = appsets.expand(document, Checkout(files), "s.yaml").applications
    assert found.application.labels == {"n": "8080-1e+06-0.5"}


def test_git_directories_go_params_with_prefix() -> None:
    document = appset(
        [{"git": {"directories": [{"path": "apps/a"}], "pathParamPrefix": "app"}}], "{{.app.path.basename}}", go=True
    )
    assert params(document) == [
        {"app": {"path": {"path": "apps/a", "basename": "a", "basenameNormalized": "a", "segments": ["apps", "a"]}}}
    ]


def test_matrix_second_generator_uses_the_first_ones_params() -> None:
    files = {**FILES, "config/a/config.json": '{"size": "s"}', "config/b/config.json": '{"size": "m"}'}
    matrix = {
        "matrix": {
            "generators": [
                {"git": {"directories": [{"path": "apps/[ab]"}]}},
                {"git": {"files": [{"path": "config/{{path.basename}}/config.json"}], "pathParamPrefix": "cfg"}},
            ]
        }
    }
    found = appsets.expand(appset([matrix], "{{path.basename}}-{{size}}-{{cfg.path}}"), Checkout(files), "s.yaml")
    assert [g.application.name for g in found.applications] == ["a-s-config/a", "b-m-config/b"]
    assert found.generators == ("matrix(git directories, git files)",)


@pytest.mark.parametrize("go", [False, True])
def test_matrix_second_generators_list_elements_are_templated_too(go: bool) -> None:
    """As Argo CD's own TestMatrixGenerate: a list element after a git generator reads its parameters."""
    templated = "test-{{.path.basenameNormalized}}" if go else "test-{{path.basenameNormalized}}"
    matrix = {
        "matrix": {
            "generators": [
                {"git": {"directories": [{"path": "apps/[ab]"}]}},
                {"list": {"elements": [{"cluster": "c", "templated": templated}]}},
            ]
        }
    }
    found = appsets.expand(appset([matrix], "{{.templated}}" if go else "{{templated}}", go=go), CHECKOUT, "s.yaml")
    assert [g.application.name for g in found.applications] == ["test-a", "test-b"]


def test_go_parameters_merge_as_mergo_does_empty_values_included() -> None:
    """A merge's later generator wins, its false or "" too; a matrix's first child wins, its "" too."""
    merge = {
        "merge": {
            "mergeKeys": ["name"],
            "generators": [
                {"list": {"elements": [{"name": "b", "autoSync": True, "ns": "team-b"}]}},
                {"list": {"elements": [{"name": "b", "autoSync": False, "ns": ""}]}},
            ],
        }
    }
    document = appset([merge], "{{.name}}-{{.autoSync}}-{{.ns}}", go=True)
    assert [g.application.name for g in appsets.expand(document, CHECKOUT, "s.yaml").applications] == ["b-false-"]
    matrix = {
        "matrix": {
            "generators": [
                {"list": {"elements": [{"suffix": ""}]}},
                {"list": {"elements": [{"suffix": "-p", "name": "a"}]}},
            ]
        }
    }
    document = appset([matrix], "{{.name}}{{.suffix}}", go=True)
    assert [g.application.name for g in appsets.expand(document, CHECKOUT, "s.yaml").applications] == ["a"]


def test_elements_yaml_is_read_as_go_reads_yaml() -> None:
    generator = {"list": {"elementsYaml": "- {country: se}\n- {country: no}\n"}}
    document = appset([generator], "shop-{{.country}}", go=True)
    found = [g.application.name for g in appsets.expand(document, CHECKOUT, "s.yaml").applications]
    assert found == ["shop-se", "shop-false"]  # YAML 1.1: no is false


def test_matrix_go_deep_merges_and_first_wins() -> None:
    matrix = {
        "matrix": {
            "generators": [
                {"list": {"elements": [{"env": "dev", "meta": {"a": "1"}}, {"env": "prd", "meta": {"a": "2"}}]}},
                {"list": {"elements": [{"region": "eu", "env": "ignored", "meta": {"b": "x"}}]}},
            ]
        }
    }
    document = appset([matrix], "{{.env}}-{{.region}}-{{.meta.a}}{{.meta.b}}", go=True)
    assert names(document) == ["dev-eu-1x", "prd-eu-2x"]


def test_matrix_without_go_refuses_a_key_both_set_differently() -> None:
    matrix = {"matrix": {"generators": [{"list": {"elements": [{"k": "1"}]}}, {"list": {"elements": [{"k": "2"}]}}]}}
    with pytest.raises(AppSetError, match=r"sets/set.yaml:3: ApplicationSet 'set': .*both set 'k'"):
        names(appset([matrix], "{{k}}"))


def test_merge_overrides_by_merge_keys() -> None:
    merge = {
        "merge": {
            "mergeKeys": ["name"],
            "generators": [
                {"clusters": {"values": {"replicas": "1"}}},
                {"list": {"elements": [{"name": "dev", "values.replicas": "5"}]}},
            ],
        }
    }
    document = appset([merge], "{{name}}-{{values.replicas}}")
    assert names(document, clusters=CLUSTERS) == ["in-cluster-1", "Prod_EU-1", "dev-5"]


def test_merge_go_overrides_nested_values() -> None:
    merge = {
        "merge": {
            "mergeKeys": ["env"],
            "generators": [
                {"list": {"elements": [{"env": "dev", "size": {"cpu": "1", "mem": "1G"}}, {"env": "prd"}]}},
                {"list": {"elements": [{"env": "dev", "size": {"cpu": "2"}}]}},
            ],
        }
    }
    document = appset([merge], '{{.env}}-{{default "none" .size.cpu}}-{{.size.mem}}', go=True)
    assert names(document) == ["dev-2-1G", "prd-none-<no value>"]


def test_merge_refuses_duplicate_keys_in_a_later_generator() -> None:
    merge = {
        "merge": {
            "mergeKeys": ["name"],
            "generators": [
                {"list": {"elements": [{"name": "a"}]}},
                {"list": {"elements": [{"name": "a"}, {"name": "a"}]}},
            ],
        }
    }
    with pytest.raises(AppSetError, match="share the merge keys"):
        names(appset([merge], "{{name}}"))


def test_generator_selector_and_own_template() -> None:
    generator = {
        "list": {
            "elements": [{"env": "dev"}, {"env": "prd"}, {"env": "stg"}],
            "template": {"metadata": {"name": "own-{{env}}", "labels": {"from": "generator"}}},
        },
        "selector": {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["stg"]}]},
    }
    found = appsets.expand(appset([generator], "{{env}}"), CHECKOUT, "s.yaml").applications
    assert [g.application.name for g in found] == ["own-dev", "own-prd"]
    assert found[0].application.labels == {"from": "generator"}
    assert found[0].application.sources[0].spec["path"] == "{{path}}"  # unknown tags stay as written


@pytest.mark.parametrize("go", [False, True])
def test_template_keys_are_rendered_too(go: bool) -> None:
    name = "{{.env}}" if go else "{{env}}"
    template = {
        "metadata": {"name": name, "labels": {f"team-{name}": "yes"}},
        "spec": {"source": {"repoURL": "https://github.com/o/r", "path": "x", "helm": {"valuesObject": {name: 1}}}},
    }
    (found,) = appsets.expand(
        appset([{"list": {"elements": [{"env": "dev"}]}}], go=go, template=template), CHECKOUT, "s.yaml"
    ).applications
    assert found.application.labels == {"team-dev": "yes"}
    assert found.application.sources[0].option("helm")["valuesObject"] == {"dev": 1}


def test_a_go_template_selector_sees_every_parameter_flattened() -> None:
    files = {**FILES, "flags/a.yaml": "name: a\nenabled: true\n", "flags/b.yaml": "name: b\nenabled: false\n"}
    for labels in ({"enabled": "true"}, {"name": "a", "path.basename": "flags"}):
        generator = {"git": {"files": [{"path": "flags/*.yaml"}]}, "selector": {"matchLabels": labels}}
        found = appsets.expand(appset([generator], "{{.name}}", go=True), Checkout(files), "s.yaml").applications
        assert [g.application.name for g in found] == ["a"], labels


def test_selectors_inside_a_matrix_and_nested_ones() -> None:
    envs = {"list": {"elements": [{"env": "dev"}, {"env": "prd"}]}, "selector": {"matchLabels": {"env": "prd"}}}
    regions = {"list": {"elements": [{"region": "eu"}]}}
    matrix = {"matrix": {"generators": [envs, regions]}}
    assert names(appset([matrix], "{{env}}-{{region}}")) == ["prd-eu"]
    nested = {"matrix": {"generators": [{"matrix": {"generators": [envs, regions]}}, {"list": {"elements": [{}]}}]}}
    assert names(appset([nested], "{{env}}-{{region}}")) == ["prd-eu"]  # applied too: Argo CD 3 always does
    assert names(appset([nested], "{{env}}-{{region}}", applyNestedSelectors=True)) == ["prd-eu"]


def test_generated_applications_live_beside_the_set_with_the_finalizer() -> None:
    document = appset([{"list": {"elements": [{"path": "apps/a"}]}}], "x-{{path}}")
    [generated] = appsets.expand(document, CHECKOUT, "sets/set.yaml", 3).applications
    app = generated.application
    assert (app.name, app.namespace, app.file, generated.application_set) == (
        "x-apps/a",
        "argo",
        "sets/set.yaml",
        "set",
    )
    assert app.metadata["finalizers"] == [appsets.FINALIZER]
    assert app.sources[0].path == "apps/a"
    kept = appset([{"list": {"elements": [{"path": "p"}]}}], "y", syncPolicy={"preserveResourcesOnDeletion": True})
    [generated] = appsets.expand(kept, CHECKOUT, "s.yaml").applications
    assert "finalizers" not in generated.application.metadata


def test_template_patch_is_rendered_and_merged_into_each_application() -> None:
    patch = (
        "spec:\n  project: '{{.team}}'\n  source: null\n  sources:\n    - repoURL: https://charts.example.com\n"
        "      chart: web\n      helm: {valueFiles: ['$values/envs/{{.env}}.yaml']}\n"
        "    - {repoURL: https://github.com/o/r, ref: values}\n"
        "  destination: {namespace: '{{.env}}-ns'}\n"
        '{{- if eq .env "prod" }}\n  syncPolicy: {automated: {}}\n{{- end }}\n'
    )
    elements = [{"env": "dev", "team": "a"}, {"env": "prod", "team": "b"}]
    document = appset([{"list": {"elements": elements}}], "web-{{.env}}", go=True, templatePatch=patch)
    expansion = appsets.expand(document, CHECKOUT, "s.yaml")
    assert expansion.notes == ()
    dev, prod = (g.application for g in expansion.applications)
    assert (dev.name, dev.project, prod.project) == ("web-dev", "default", "default")  # the template's, kept
    assert [s.ref or s.chart for s in dev.sources] == ["web", "values"]  # the template's source replaced
    assert dev.sources[0].option("helm")["valueFiles"] == ["$values/envs/dev.yaml"]
    assert dev.spec["destination"] == {"server": "https://kubernetes.default.svc", "namespace": "dev-ns"}  # merged
    assert "syncPolicy" not in dev.spec and prod.spec["syncPolicy"] == {"automated": {}}


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        pytest.param(["spec: {}"], "templatePatch must be a string", id="not-a-string"),
        pytest.param("- a list", "renders to a list, not a mapping", id="a-list"),
        pytest.param("spec: [", "templatePatch: invalid YAML", id="not-yaml"),
    ],
)
def test_a_template_patch_that_is_no_mapping_is_refused(patch: Any, message: str) -> None:
    document = appset([{"list": {"elements": [{"path": "p"}]}}], "y", templatePatch=patch)
    with pytest.raises(appsets.AppSetError, match=message):
        appsets.expand(document, CHECKOUT, "s.yaml")


@pytest.mark.parametrize(
    ("generators", "kwargs", "message"),
    [
        pytest.param([{"clusters": {}}], {}, r"generators\[0\].clusters: lists Argo CD's clusters", id="clusters"),
        pytest.param([{"scmProvider": {"github": {}}}], {}, "asks an SCM provider", id="scm"),
        pytest.param([{"pullRequest": {}}], {}, "pull requests", id="pull-request"),
        pytest.param(
            [{"matrix": {"generators": [{"list": {"elements": [{"a": "b"}]}}, {"plugin": {}}]}}],
            {},
            "plugin",
            id="inside-a-matrix",
        ),
        pytest.param(
            [{"git": {"repoURL": "https://github.com/other/repo", "directories": [{"path": "*"}]}}],
            {"repo_urls": ("git@github.com:o/r.git",)},
            "reads https://github.com/other/repo, not this checkout",
            id="another-repository",
        ),
    ],
)
def test_unresolved(generators: list[Any], kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(Unresolved, match=message):
        names(appset(generators), Checkout(FILES, **kwargs))


def test_git_generator_of_the_checkouts_own_repository() -> None:
    checkout = Checkout(FILES, ("git@github.com:O/r.git",))
    generator = {"git": {"repoURL": "https://github.com/o/r", "directories": [{"path": "apps/a"}]}}
    assert names(appset([generator]), checkout) == ["a"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param(
            appset([{"list": {"elements": [{"n": 1}]}}], "{{n}}"),
            r"sets/set.yaml:3: ApplicationSet 'set': spec.generators\[0\].list.elements\[0\].n is a int",
            id="non-string-list-value",
        ),
        pytest.param(
            appset([{"list": {"elements": [{"a": "x"}, {"a": "x"}]}}], "{{a}}"),
            "generates two Applications named 'x'",
            id="duplicate-names",
        ),
        pytest.param(
            appset([{"list": {"elements": [{"a": "x"}]}}], '{{.a}}{{ include "t" . }}', go=True),
            "unsupported function 'include'",
            id="unsupported-function",
        ),
        pytest.param(
            appset([{"list": {"elements": [{"a": "x"}]}}], "{{.b}}", go=True, goTemplateOptions=["missingkey=error"]),
            'map has no entry for key "b"',
            id="missingkey-error",
        ),
        pytest.param(
            appset([{"list": {"elements": [{"a": "x"}]}}], ""),
            "gives no metadata.name",
            id="no-name",
        ),
        pytest.param(appset([{"list": {}, "git": {}}]), "a generator has one of", id="two-kinds"),
        pytest.param(
            appset([{"matrix": {"generators": [{"list": {}}]}}]), "a matrix combines exactly two", id="matrix-of-one"
        ),
        pytest.param(
            appset([{"matrix": {"generators": [{"list": {"elements": [{"a": "1"}]}}] * 3}}]),
            "a matrix combines exactly two",
            id="matrix-of-three",
        ),
        pytest.param(
            appset(
                [
                    {
                        "matrix": {
                            "generators": [
                                {"list": {"elements": [{"a": "1"}]}},
                                {"matrix": {"generators": [{"list": {"elements": [{"b": "2"}]}}, {"merge": {}}]}},
                            ]
                        }
                    }
                ]
            ),
            r"generators\[0\].matrix.generators\[1\].matrix.generators\[1\].merge: a matrix or merge nests only once",
            id="nested-twice",
        ),
        pytest.param(
            appset(
                [
                    {
                        "merge": {
                            "mergeKeys": ["env"],
                            "generators": [
                                {"list": {"elements": [{"env": "dev", "app": "a"}, {"env": "dev", "app": "b"}]}},
                                {"list": {"elements": [{"env": "dev", "x": "1"}]}},
                            ],
                        }
                    }
                ]
            ),
            "two parameter sets share the merge keys",
            id="merge-base-not-unique",
        ),
        pytest.param(
            appset([{"merge": {"generators": [{"list": {}}, {"list": {}}]}}]), "needs mergeKeys", id="no-merge-keys"
        ),
        pytest.param(appset([{"git": {"repoURL": "x"}}]), "needs directories or files", id="git-without-paths"),
        pytest.param(
            {"kind": "ApplicationSet", "metadata": {}, "spec": {}},
            "sets/set.yaml:3: an ApplicationSet without",
            id="nameless",
        ),
    ],
)
def test_refused(document: dict[str, Any], message: str) -> None:
    with pytest.raises(AppSetError, match=message):
        names(document)


def test_file_generator_names_a_file_that_does_not_parse() -> None:
    checkout = Checkout({"c/config.yaml": "a: [\n"})
    with pytest.raises(AppSetError, match=r"c/config.yaml: invalid YAML"):
        names(appset([{"git": {"files": [{"path": "c/*.yaml"}]}}]), checkout)


# --- templates --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "data", "expected"),
    [
        pytest.param("{{.path.basename}}", {"path": {"basename": "b"}}, "b", id="field"),
        pytest.param("{{ index .path.segments 1 }}", {"path": {"segments": ["a", "b"]}}, "b", id="index"),
        pytest.param('{{ index .m "k-1" }}', {"m": {"k-1": "v"}}, "v", id="index-map"),
        pytest.param("{{.missing}}", {}, "<no value>", id="missing"),
        pytest.param("{{.a.b.c}}", {}, "<no value>", id="missing-chain"),
        pytest.param('{{ default "d" .missing }}-{{ .x | default "d" }}', {"x": ""}, "d-d", id="default"),
        pytest.param('{{ .n | replace "-" "_" | upper }}', {"n": "my-app"}, "MY_APP", id="pipeline"),
        pytest.param("{{ lower .n }}{{ title .n }}", {"n": "Ab cd"}, "ab cdAb Cd", id="lower-title"),
        pytest.param('{{ trimPrefix "apps/" .p }}', {"p": "apps/x"}, "x", id="trimPrefix"),
        pytest.param("a\n  {{- .x -}}  \nb", {"x": 1}, "a1b", id="trim-markers"),
        pytest.param("{{/* a comment */}}x{{- /* another */ -}} y", {}, "xy", id="comments"),
        pytest.param("a {{-3}}", {}, "a -3", id="a-negative-number-is-no-trim-marker"),
        pytest.param(
            '{{ if eq .e "prd" }}P{{ else if .f }}F{{ else }}N{{ end }}', {"e": "dev", "f": True}, "F", id="if-else-if"
        ),
        pytest.param("{{ if and .a (not .b) }}yes{{ end }}", {"a": 1, "b": 0}, "yes", id="and-not"),
        pytest.param("{{ with .m }}{{ .k }}{{ else }}none{{ end }}", {"m": {"k": "v"}}, "v", id="with"),
        pytest.param(
            "{{ range $i, $v := .l }}{{ $i }}={{ $v }};{{ end }}{{ range .e }}x{{ else }}empty{{ end }}",
            {"l": ["a", "b"], "e": []},
            "0=a;1=b;empty",
            id="range-list",
        ),
        pytest.param(
            "{{ range $k, $v := .m }}{{ $k }}:{{ $v.n }} {{ end }}",
            {"m": {"b": {"n": 2}, "a": {"n": 1}}},
            "a:1 b:2 ",
            id="range-map",
        ),
        pytest.param("{{ $x := .a }}{{ $x = upper $x }}{{ $x }}{{ $.a }}", {"a": "q"}, "Qq", id="variables"),
        pytest.param('{{ printf "%s-%d-%v%%" .a .n .f }}', {"a": "x", "n": 3.0, "f": 1.5}, "x-3-1.5%", id="printf"),
        pytest.param("{{ .a | quote }} {{ squote .a }}", {"a": 'say "hi"'}, '"say \\"hi\\"" \'say "hi"\'', id="quote"),
        pytest.param("{{ toYaml .v | nindent 2 }}", {"v": {"a": [1]}}, "\n  a:\n  - 1", id="toYaml-nindent"),
        pytest.param(
            "{{ toYaml .v }}",
            {"v": {"b": ["on", "yes", "1.0", "~"], "a": "plain", "c": True, "d": "two\nlines\n"}},
            'a: plain\nb:\n- "on"\n- "yes"\n- "1.0"\n- "~"\nc: true\nd: |\n  two\n  lines',
            id="toYaml-as-go-yaml-quotes-what-yaml-1.1-reads-otherwise",
        ),
        pytest.param("{{ toJson .v }}", {"v": {"a": [1, "b"]}}, '{"a":[1,"b"]}', id="toJson"),
        pytest.param('{{ normalize "Team_One/X" }}', {}, "team-one-x", id="normalize"),
        pytest.param('{{ join "," (list "a" "b") }}-{{ len .l }}', {"l": [1, 2, 3]}, "a,b-3", id="join-list-len"),
        pytest.param("{{ (index .l 0).n }}", {"l": [{"n": "first"}]}, "first", id="field-of-parens"),
        pytest.param(
            "{{ .m }} {{ .l }} {{ .t }}",
            {"m": {"b": 1, "a": "x"}, "l": [1, "y"], "t": True},
            "map[a:x b:1] [1 y] true",
            id="printing",
        ),
    ],
)
def test_go_template(template: str, data: dict[str, Any], expected: str) -> None:
    assert gotemplate.render(template, data) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('{{ coalesce .none "" "first" "second" }}', "first"),
        ('{{ ternary "yes" "no" (gt 3 2) }}{{ ternary "yes" "no" (le 3 2) }}', "yesno"),
        ('{{ trunc 3 "abcdef" }}-{{ trunc -2 "abcdef" }}', "abc-ef"),
        ('{{ $d := dict "a" "1" "b" }}{{ $d.a }}{{ $d.b }}|', "1|"),
        ('{{ hasPrefix "ab" "abc" }} {{ hasSuffix "c" "abc" }} {{ contains "x" "abc" }}', "true true false"),
        ('{{ index (splitList "/" "a/b/c") 2 }}', "c"),
        ('{{ empty "" }} {{ empty 0 }} {{ empty (list 1) }}', "true true false"),
        ('{{ trim "  x  " }}{{ trimSuffix ".yaml" "f.yaml" }}', "xf"),
        ('{{ toString 1.5 }} {{ print "a" 1 2 "b" }}', "1.5 a1 2b"),
        ('{{ or .none "" "x" }} {{ and 1 0 2 }} {{ ne 1 2 }} {{ ge "b" "a" }} {{ lt 1 2 }}', "x 0 true true true"),
        ('{{ printf "%q %t %v" "a" true .none }}', '"a" true <nil>'),
        ("{{ upper `raw {{ text` }}", "RAW {{ TEXT"),
        ("{{ 0x10 }} {{ -2 }} {{ 1e3 }}", "16 -2 1000"),
        ("{{ with .none }}x{{ else with .o }}{{ .k }}{{ end }}", "v"),
        ("{{ if .a }}{{ $x := 1 }}{{ end }}{{ range .l }}{{ . }}{{ end }}", "12"),
    ],
)
def test_go_template_functions(template: str, expected: str) -> None:
    assert gotemplate.render(template, {"a": 1, "l": [1, 2], "o": {"k": "v"}}) == expected


@pytest.mark.parametrize(
    ("template", "data", "missing", "message"),
    [
        pytest.param('{{ include "x" . }}', {}, "default", "unsupported function 'include'", id="function"),
        pytest.param('{{ define "x" }}{{ end }}', {}, "default", "unsupported action 'define'", id="define"),
        pytest.param(
            "{{ .a | lower }}", {}, "default", "lower: invalid value; expected string", id="missing-to-string"
        ),
        pytest.param("{{ lower .n }}", {"n": 1}, "default", "expected string; got float64", id="wrong-type"),
        pytest.param("{{ .a.b }}", {}, "zero", r"nil pointer evaluating interface \{\}.b", id="helm-nil-pointer"),
        pytest.param("{{ .a }}", {}, "error", 'map has no entry for key "a"', id="missingkey-error"),
        pytest.param("{{ .a", {}, "default", "unclosed action", id="unclosed-action"),
        pytest.param("{{ if .a }}x", {}, "default", "unclosed if", id="unclosed-if"),
        pytest.param("{{ end }}", {}, "default", "unexpected end", id="stray-end"),
        pytest.param(
            "{{ .s.x }}", {"s": "text"}, "default", "can't evaluate field x in type string", id="field-of-string"
        ),
        pytest.param('{{ printf "%5s" .a }}', {"a": "x"}, "default", "printf verb", id="printf-width"),
        pytest.param("{{ index .l 5 }}", {"l": [1]}, "default", "index out of range", id="index-range"),
        pytest.param("{{ index .n 0 }}", {"n": 1}, "default", "can't index item of type float64", id="index-number"),
        pytest.param("{{ len 3 }}", {}, "default", "len of type float64", id="len-number"),
        pytest.param('{{ lt 1 "a" }}', {}, "default", "incompatible types", id="compare"),
        pytest.param("{{ eq 1 }}", {}, "default", "missing argument", id="eq-alone"),
        pytest.param("{{ .a 1 }}", {"a": 1}, "default", "can't give argument to non-function .a", id="non-function"),
        pytest.param("{{ range .a }}{{ end }}", {"a": 1}, "default", "range can't iterate over 1", id="range-number"),
        pytest.param("{{ $x = 1 }}", {}, "default", r"undefined variable \$x", id="assign-undeclared"),
        pytest.param("{{ $y }}", {}, "default", r"undefined variable \$y", id="undeclared"),
        pytest.param("{{ else }}", {}, "default", "unexpected else", id="stray-else"),
        pytest.param("{{ if 1 }}{{ else }}{{ else }}{{ end }}", {}, "default", "a second else", id="two-elses"),
        pytest.param('{{ "a }}', {}, "default", "unterminated quoted string", id="open-string"),
        pytest.param("{{ ~ }}", {}, "default", "unexpected '~'", id="bad-character"),
        pytest.param("{{ (lower .a }}", {}, "default", "unclosed left paren", id="open-paren"),
        pytest.param('{{ required "need x" .x }}', {}, "default", "unsupported function 'required'", id="helm-only"),
    ],
)
def test_go_template_refused(template: str, data: dict[str, Any], missing: str, message: str) -> None:
    with pytest.raises(gotemplate.TemplateError, match=message) as caught:
        gotemplate.render(template, data, missing=missing)
    assert repr(template) in str(caught.value)  # the message names the template


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ $h := (.tool).helm }}[{{ $h }}]{{ with (.tool).helm }}{{ .r }}{{ end }}", "[]"),  # no tool: no value
        ("{{ $t := .tool }}[{{ $t.helm }}]", "[]"),  # a variable holding nil: the same
        ("{{ (.with).helm.r }}", "bee"),
        ('{{ if hasKey . "with" }}y{{ end }}{{ if hasKey .with "nope" }}n{{ end }}', "y"),
        ('{{ omit .with "helm" | toJson }}|{{ pick .with "helm" "nope" | toJson }}', '{"x":1}|{"helm":{"r":"bee"}}'),
        ('{{ keys .with | sortAlpha | join "," }}|{{ get .with "x" }}|{{ get .with "nope" }}|', "helm,x|1||"),
        ('{{ dig "with" "helm" "r" "d" . }}-{{ dig "with" "nope" "d" . }}', "bee-d"),
        ('{{ dict "b" 1 "a" "<&>" | toJson }}', '{"a":"\\u003c\\u0026\\u003e","b":1}'),  # as Go: sorted, escaped
        (
            "{{ has 2 .l }}{{ has 9 .l }}|{{ first .l }}{{ last .l }}|{{ uniq .d | toJson }}|{{ compact .c | toJson }}",
            'truefalse|13|[1,2]|["a"]',
        ),
    ],
)
def test_helm_idioms_and_sprig_dict_functions(template: str, expected: str) -> None:
    values = {"with": {"helm": {"r": "bee"}, "x": 1}, "l": [1, 2, 3], "d": [1, 2, 1], "c": ["", "a", None]}
    out = gotemplate.render(template, values, gofunctions.HELM, "zero").replace(gotemplate.NO_VALUE, "")
    assert out == expected


@pytest.mark.parametrize(
    "template", ['{{ if eq .enabled "true" }}x{{ end }}', '{{ if ne .port "8080" }}x{{ end }}', "{{ gt .name 1 }}"]
)
def test_comparing_values_of_different_kinds_fails_as_in_go(template: str) -> None:
    with pytest.raises(gotemplate.TemplateError, match="incompatible types for comparison"):
        gotemplate.render(template, {"enabled": True, "port": 8080, "name": "a"})
    assert (
        gotemplate.render('{{ if eq .enabled true }}y{{ end }}{{ if eq .missing "x" }}n{{ end }}', {"enabled": True})
        == "y"
    )


def test_a_field_of_nil_fails_unless_the_nil_came_out_of_a_pipeline() -> None:
    with pytest.raises(gotemplate.TemplateError, match=r"nil pointer evaluating interface \{\}\.helm"):
        gotemplate.render("{{ .tool.helm }}", {}, gofunctions.HELM, "zero")
    with pytest.raises(gotemplate.TemplateError, match='nil data; no entry for key "helm"'):
        gotemplate.render("{{ (.tool).helm }}", {"tool": None}, gofunctions.HELM, "error")


def test_helm_functions() -> None:
    values = {"Values": {"x": "1"}}
    assert gotemplate.render('{{ required "need x" .Values.x }}', values, gofunctions.HELM, "zero") == "1"
    with pytest.raises(gotemplate.TemplateError, match="required: need y"):
        gotemplate.render('{{ required "need y" .Values.y }}', values, gofunctions.HELM, "zero")
    assert gotemplate.render("[{{ .Values.y }}]", values, gofunctions.HELM, "zero") == "[<no value>]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{name}}-{{ path.basename }}", "n-b"),
        ("{{path[0]}}", "p0"),
        ("{{unknown}} stays", "{{unknown}} stays"),
        ("{{number}} only strings", "{{number}} only strings"),
        ("{{\nname}} across lines", "{{\nname}} across lines"),
        ("no tags", "no tags"),
    ],
)
def test_fasttemplate(text: str, expected: str) -> None:
    values = {"name": "n", "path.basename": "b", "path[0]": "p0", "number": 3}
    assert appsets.fasttemplate(text, values) == expected
