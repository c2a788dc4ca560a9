"""Whether an Application's ignoreDifferences hides promoter's edit: matching, pointers, jq, reading, diffing.

The jq rows were checked against jq 1.6's ``path(f)`` (gojq, which Argo CD runs, agrees on this subset),
except that a negative index is counted from the end, as ``del`` does.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from promoter.gitops import ignores, manifests
from promoter.gitops.ignores import Covered, Doubt, Entry, Ignore, RuleKind, Unsure
from promoter.gitops.manifests import ResourceKey

# --- realistic fixtures ------------------------------------------------------------------------------------

APPS = """\
# The web app's prod Application, with the ignores teams add for canaries and HPAs.
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web-prod
  namespace: argocd
spec:
  project: default
  destination: {server: https://kubernetes.default.svc, namespace: web}
  ignoreDifferences:
    - group: networking.istio.io
      kind: VirtualService
      jsonPointers:
        - /spec/http
    - group: networking.k8s.io
      kind: Ingress
      name: web-canary
      jsonPointers: [/metadata/annotations/nginx.ingress.kubernetes.io~1canary-weight]
    - group: apps
      kind: Deployment
      jsonPointers:
      - /spec/replicas
      jqPathExpressions:
      - .spec.template.spec.containers[] | select(.name == "istio-proxy")
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-an-app}
data: {a: "1"}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web-staging}
spec:
  project: default
"""

VIRTUAL_SERVICE: dict[str, Any] = {
    "apiVersion": "networking.istio.io/v1beta1",
    "kind": "VirtualService",
    "metadata": {"name": "web", "namespace": "web"},
    "spec": {
        "hosts": ["web.example.com"],
        "http": [
            {
                "name": "primary",
                "route": [
                    {"destination": {"host": "web", "subset": "stable"}, "weight": 90},
                    {"destination": {"host": "web", "subset": "canary"}, "weight": 10},
                ],
            }
        ],
    },
}

CANARY_INGRESS: dict[str, Any] = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "Ingress",
    "metadata": {
        "name": "web-canary",
        "namespace": "web",
        "annotations": {
            "nginx.ingress.kubernetes.io/canary": "true",
            "nginx.ingress.kubernetes.io/canary-weight": "10",
        },
    },
    "spec": {"rules": [{"host": "web.example.com"}]},
}

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "web"},
    "spec": {
        "replicas": 3,
        "template": {
            "spec": {
                "containers": [
                    {"name": "web", "image": "ghcr.io/acme/web:1.4.0"},
                    {"name": "istio-proxy", "image": "istio/proxyv2:1.22.0"},
                ]
            }
        },
    },
}


def edited(document: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    copied = copy.deepcopy(document)
    node: Any = copied
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return copied


def verdicts_for(document: dict[str, Any], path: tuple[str | int, ...], value: Any) -> list[ignores.Verdict]:
    """The verdicts of web-prod's ignores on editing ``path`` of ``document`` to ``value``."""
    after = edited(document, path, value)
    entries = ignores.application_ignores(APPS, "apps/web-prod.yaml")["web-prod"]
    resource = ResourceKey.of(after, default_namespace="web")
    return ignores.judge(entries, resource, after, ignores.changed_paths(document, after))


def test_istio_weights_under_an_ignored_http_are_covered() -> None:
    path = ("spec", "http", 0, "route", 1, "weight")
    (verdict,) = verdicts_for(VIRTUAL_SERVICE, path, 20)
    assert verdict == Covered(
        Ignore("web-prod", "apps/web-prod.yaml", 14, 0, RuleKind.JSON_POINTER, "/spec/http"), path
    )
    assert isinstance(verdict, Covered)
    assert verdict.ignore.rule == "jsonPointers: /spec/http"
    assert ignores.pointer(verdict.path) == "/spec/http/0/route/1/weight"


def test_the_nginx_canary_weight_annotation_is_covered_through_an_escaped_pointer() -> None:
    path = ("metadata", "annotations", "nginx.ingress.kubernetes.io/canary-weight")
    (verdict,) = verdicts_for(CANARY_INGRESS, path, "20")
    assert isinstance(verdict, Covered)
    assert (verdict.ignore.line, verdict.ignore.entry) == (18, 1)
    assert ignores.pointer(verdict.path) == "/metadata/annotations/nginx.ingress.kubernetes.io~1canary-weight"


def test_the_canary_ingress_entry_names_one_ingress() -> None:
    other = edited(CANARY_INGRESS, ("metadata", "name"), "web")
    path = ("metadata", "annotations", "nginx.ingress.kubernetes.io/canary-weight")
    assert verdicts_for(other, path, "20") == []


def test_hpa_managed_replicas_are_covered_but_the_image_is_not() -> None:
    (replicas,) = verdicts_for(DEPLOYMENT, ("spec", "replicas"), 5)
    assert isinstance(replicas, Covered) and replicas.ignore.rule == "jsonPointers: /spec/replicas"
    assert (
        verdicts_for(DEPLOYMENT, ("spec", "template", "spec", "containers", 0, "image"), "ghcr.io/acme/web:1.5.0") == []
    )


def test_a_sidecar_selected_by_name_is_covered() -> None:
    (verdict,) = verdicts_for(
        DEPLOYMENT, ("spec", "template", "spec", "containers", 1, "image"), "istio/proxyv2:1.23.0"
    )
    assert isinstance(verdict, Covered)
    assert verdict.ignore.line == 24
    assert verdict.ignore.rule == 'jqPathExpressions: .spec.template.spec.containers[] | select(.name == "istio-proxy")'


def test_nothing_changed_nothing_judged() -> None:
    entries = ignores.application_ignores(APPS, "apps/web-prod.yaml")["web-prod"]
    resource = ResourceKey.of(DEPLOYMENT)
    assert ignores.judge(entries, resource, DEPLOYMENT, ignores.changed_paths(DEPLOYMENT, DEPLOYMENT)) == []


# --- reading Applications ----------------------------------------------------------------------------------


def test_every_application_of_a_multi_document_file_is_read_with_its_lines() -> None:
    found = ignores.application_ignores(APPS, "apps/web-prod.yaml")
    assert list(found) == ["web-prod", "web-staging"]
    assert found["web-staging"] == []
    at = "web-prod", "apps/web-prod.yaml"
    assert found["web-prod"] == [
        Entry(
            "networking.istio.io",
            "VirtualService",
            None,
            None,
            (Ignore(*at, 14, 0, RuleKind.JSON_POINTER, "/spec/http"),),
        ),
        Entry(
            "networking.k8s.io",
            "Ingress",
            "web-canary",
            None,
            (
                Ignore(
                    *at,
                    18,
                    1,
                    RuleKind.JSON_POINTER,
                    "/metadata/annotations/nginx.ingress.kubernetes.io~1canary-weight",
                ),
            ),
        ),
        Entry(
            "apps",
            "Deployment",
            None,
            None,
            (
                Ignore(*at, 22, 2, RuleKind.JSON_POINTER, "/spec/replicas"),
                Ignore(
                    *at,
                    24,
                    2,
                    RuleKind.JQ_PATH,
                    '.spec.template.spec.containers[] | select(.name == "istio-proxy")',
                ),
            ),
        ),
    ]


ODD = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: odd}
spec:
  ignoreDifferences:
  - kind: ConfigMap
    name: ""
    namespace: web
    managedFieldsManagers: [kube-controller-manager]
    jqPathExpressions: [.data]
    jsonPointers:
    - /data
    - 42
  - just a string
  - {group: "*", kind: "*", jsonPointers: not-a-list}
---
- a list document
---
---
apiVersion: app.k8s.io/v1beta1
kind: Application
metadata: {name: the-sig-application-crd}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {labels: {nameless: "true"}}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: odd}
spec: {ignoreDifferences: [{kind: Secret, jsonPointers: [/data]}]}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: shapeless}
spec: {ignoreDifferences: {kind: Secret}}
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: a-set}
"""


def test_odd_shapes_are_skipped_and_rules_keep_their_order_in_the_file() -> None:
    found = ignores.application_ignores(ODD, "odd.yaml")
    assert list(found) == ["odd", "shapeless"]  # not other kinds or apiVersions, the nameless, a second "odd"
    assert found["shapeless"] == []
    first, wildcard = found["odd"]
    assert (first.group, first.kind, first.name, first.namespace) == ("", "ConfigMap", None, "web")
    assert [(rule.line, rule.rule) for rule in first.rules] == [
        (9, "managedFieldsManagers: kube-controller-manager"),
        (10, "jqPathExpressions: .data"),
        (12, "jsonPointers: /data"),
    ]
    assert (wildcard.group, wildcard.kind, wildcard.rules) == ("*", "*", ())


def test_a_file_that_is_not_yaml_is_a_manifest_error() -> None:
    with pytest.raises(manifests.ManifestError) as raised:
        ignores.application_ignores("kind: Application\nmetadata:\n  name: a: b\n", "apps/bad.yaml")
    assert str(raised.value) == "apps/bad.yaml: invalid YAML: mapping values are not allowed here (line 3)"


# --- which resources an entry applies to -------------------------------------------------------------------

DEPLOY = ResourceKey("apps", "v1", "Deployment", "web", "api")
SERVICE = ResourceKey("", "v1", "Service", "web", "api")
VS = ResourceKey("networking.istio.io", "v1beta1", "VirtualService", "web", "api")
CLUSTER_ROLE = ResourceKey("rbac.authorization.k8s.io", "v1", "ClusterRole", "", "api")


@pytest.mark.parametrize(
    ("entry", "resource", "matches"),
    [
        pytest.param(Entry("apps", "Deployment", None, None, ()), DEPLOY, True, id="group-and-kind"),
        pytest.param(Entry("", "Service", None, None, ()), SERVICE, True, id="core-group-is-empty"),
        pytest.param(Entry("", "Deployment", None, None, ()), DEPLOY, False, id="empty-group-is-only-core"),
        pytest.param(Entry("apps", "Service", None, None, ()), SERVICE, False, id="a-group-is-not-core"),
        pytest.param(Entry("*", "Service", None, None, ()), SERVICE, True, id="any-group-includes-core"),
        pytest.param(Entry("*", "*", None, None, ()), VS, True, id="anything"),
        pytest.param(Entry("*.istio.io", "VirtualService", None, None, ()), VS, True, id="group-glob"),
        pytest.param(Entry("{apps,batch}", "Deployment", None, None, ()), DEPLOY, True, id="group-alternatives"),
        pytest.param(Entry("{batch,extensions}", "Deployment", None, None, ()), DEPLOY, False, id="no-alternative"),
        pytest.param(Entry("apps", "", None, None, ()), DEPLOY, False, id="no-kind-matches-nothing"),
        pytest.param(Entry("apps", "deployment", None, None, ()), DEPLOY, False, id="kind-is-case-sensitive"),
        pytest.param(Entry("apps", "Deploy*", None, None, ()), DEPLOY, True, id="kind-glob"),
        pytest.param(Entry("apps", "Deployment", "api", None, ()), DEPLOY, True, id="same-name"),
        pytest.param(Entry("apps", "Deployment", "web", None, ()), DEPLOY, False, id="other-name"),
        pytest.param(Entry("apps", "Deployment", None, "web", ()), DEPLOY, True, id="same-namespace"),
        pytest.param(Entry("apps", "Deployment", "api", "prod", ()), DEPLOY, False, id="other-namespace"),
        pytest.param(
            Entry("rbac.authorization.k8s.io", "ClusterRole", None, "web", ()),
            CLUSTER_ROLE,
            False,
            id="cluster-scoped-has-no-namespace",
        ),
    ],
)
def test_matching(entry: Entry, resource: ResourceKey, matches: bool) -> None:
    assert entry.matches(resource) is matches


def test_entries_that_do_not_apply_give_nothing() -> None:
    entry = Entry("apps", "StatefulSet", None, None, (rule(RuleKind.JSON_POINTER, "/spec"),))
    assert ignores.judge([entry], DEPLOY, {}, [("spec", "replicas")]) == []


# --- JSON pointers -----------------------------------------------------------------------------------------


def rule(kind: RuleKind, expression: str) -> Ignore:
    return Ignore("app", "app.yaml", 1, 0, kind, expression)


def covered(kind: RuleKind, expression: str, document: Any, path: tuple[str | int, ...]) -> bool:
    """Whether one rule, on a resource its entry applies to, covers ``path``."""
    entry = Entry("*", "*", None, None, (rule(kind, expression),))
    verdicts = ignores.judge([entry], DEPLOY, document, [path])
    assert all(isinstance(verdict, Covered) and verdict.path == path for verdict in verdicts)
    return bool(verdicts)


@pytest.mark.parametrize(
    ("pointer", "path", "expected"),
    [
        pytest.param("/spec/replicas", ("spec", "replicas"), True, id="equal"),
        pytest.param("/spec/http", ("spec", "http", 0, "route", 1, "weight"), True, id="prefix"),
        pytest.param("/spec/http/0", ("spec", "http", 0, "route"), True, id="list-index"),
        pytest.param("/spec/http/1", ("spec", "http", 0, "route"), False, id="other-index"),
        pytest.param("/spec/replica", ("spec", "replicas"), False, id="not-a-string-prefix"),
        pytest.param("/spec/http/0/route", ("spec", "http"), False, id="deeper-than-the-change"),
        pytest.param("/metadata/labels", ("spec", "replicas"), False, id="elsewhere"),
        pytest.param("/metadata/annotations/a~1b", ("metadata", "annotations", "a/b"), True, id="tilde-one-is-slash"),
        pytest.param("/metadata/annotations/a~0b", ("metadata", "annotations", "a~b"), True, id="tilde-zero-is-tilde"),
        pytest.param("/metadata/annotations/a~01", ("metadata", "annotations", "a~1"), True, id="tilde-zero-then-one"),
        pytest.param("/metadata/annotations/a/b", ("metadata", "annotations", "a/b"), False, id="unescaped-slash"),
    ],
)
def test_json_pointers(pointer: str, path: tuple[str | int, ...], expected: bool) -> None:
    assert covered(RuleKind.JSON_POINTER, pointer, {}, path) is expected


def test_a_pointer_without_a_leading_slash_is_unsure() -> None:
    ignore = rule(RuleKind.JSON_POINTER, "spec/replicas")
    entry = Entry("*", "*", None, None, (ignore,))
    assert ignores.judge([entry], DEPLOY, {}, [("spec", "replicas")]) == [
        Unsure(ignore, Doubt.UNEVALUATED, "a JSON pointer starts with '/'")
    ]


@pytest.mark.parametrize(
    ("path", "text"),
    [
        pytest.param((), "", id="root"),
        pytest.param(("spec", "http", 0, "route"), "/spec/http/0/route", id="keys-and-indexes"),
        pytest.param(("metadata", "annotations", "a/b~c"), "/metadata/annotations/a~1b~0c", id="escaped"),
    ],
)
def test_pointer_text(path: tuple[str | int, ...], text: str) -> None:
    assert ignores.pointer(path) == text


# --- jq path expressions -----------------------------------------------------------------------------------

CONTAINERS = {
    "spec": {
        "replicas": 2,
        "template": {
            "metadata": {"labels": {"app": "web", "version": "1"}},
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": "web:1",
                        "env": [{"name": "A", "value": "1"}],
                        "ports": [{"containerPort": 80}],
                    },
                    {"name": "istio-proxy", "image": "proxy:1", "tty": True},
                    {"name": "istio-init", "image": "proxy:1", "restarts": None},
                ],
            },
        },
    },
    "metadata": {"annotations": {"nginx.ingress.kubernetes.io/canary-weight": "10"}, "finalizers": ["a", "b"]},
    "data": {"config.yaml": "x: 1\n"},
}
CONTAINER = ("spec", "template", "spec", "containers")
C = ".spec.template.spec.containers"  # the jq path to CONTAINER


@pytest.mark.parametrize(
    ("expression", "path", "expected"),
    [
        pytest.param(".spec.replicas", ("spec", "replicas"), True, id="field"),
        pytest.param(".spec", ("spec", "replicas"), True, id="ancestor"),
        pytest.param(".spec.replicas", ("spec", "template"), False, id="sibling"),
        pytest.param(".", ("spec", "replicas"), True, id="identity-is-everything"),
        pytest.param(
            '.metadata.annotations["nginx.ingress.kubernetes.io/canary-weight"]',
            ("metadata", "annotations", "nginx.ingress.kubernetes.io/canary-weight"),
            True,
            id="bracketed-key",
        ),
        pytest.param(
            '.metadata.annotations."nginx.ingress.kubernetes.io/canary-weight"',
            ("metadata", "annotations", "nginx.ingress.kubernetes.io/canary-weight"),
            True,
            id="quoted-key",
        ),
        pytest.param('.data | .["config.yaml"]', ("data", "config.yaml"), True, id="piped-bracket"),
        pytest.param(C + "[].image", (*CONTAINER, 2, "image"), True, id="each"),
        pytest.param(C + "[0].image", (*CONTAINER, 0, "image"), True, id="index"),
        pytest.param(C + "[1].image", (*CONTAINER, 0, "image"), False, id="other-index"),
        pytest.param(C + "[-1]", (*CONTAINER, 2, "image"), True, id="negative-index"),
        pytest.param(C + "[7]", (*CONTAINER, 0), False, id="index-past-the-end"),
        pytest.param(
            ".spec.template.metadata.labels[]",
            ("spec", "template", "metadata", "labels", "version"),
            True,
            id="each-of-a-mapping",
        ),
        pytest.param(".spec.template.spec.initContainers[]?", (*CONTAINER, 0), False, id="optional-each-of-nothing"),
        pytest.param(C + "[].env[]?.value", (*CONTAINER, 0, "env", 0, "value"), True, id="optional-each-skips-some"),
        pytest.param(C + '[] | select(.name == "istio-proxy")', (*CONTAINER, 1, "image"), True, id="select-by-name"),
        pytest.param(
            C + '[] | select(.name == "istio-proxy")', (*CONTAINER, 0, "image"), False, id="select-others-by-name"
        ),
        pytest.param(C + '[] | select(.name != "web") | .image', (*CONTAINER, 2, "image"), True, id="select-not-equal"),
        pytest.param(C + '[] | select(.name | startswith("istio-"))', (*CONTAINER, 2), True, id="select-startswith"),
        pytest.param(
            C + '[] | select(.name | startswith("istio-"))', (*CONTAINER, 0), False, id="select-startswith-not"
        ),
        pytest.param(
            C + "[] | select(.ports[0].containerPort == 80)", (*CONTAINER, 0, "image"), True, id="select-number"
        ),
        pytest.param(C + "[] | select(.tty == true)", (*CONTAINER, 1), True, id="select-boolean"),
        pytest.param(C + "[] | select(.tty == 1)", (*CONTAINER, 1), False, id="a-boolean-is-no-number"),
        pytest.param(C + '[] | select(.tty == "true")', (*CONTAINER, 1), False, id="a-boolean-is-no-string"),
        pytest.param(C + "[] | select(.restarts == null)", (*CONTAINER, 0), True, id="select-null-missing"),
        pytest.param(
            '.metadata.finalizers[] | select(. == "b")', ("metadata", "finalizers", 1), True, id="select-identity"
        ),
        pytest.param(C + '[] | select(.name == "web")? | .image', (*CONTAINER, 0, "image"), True, id="optional-select"),
        pytest.param(".spec.replicas.value?", ("spec", "replicas"), False, id="optional-field-of-a-number"),
        pytest.param(".spec.replicas?", ("spec", "replicas"), True, id="optional-field"),
        # jq fails at run time: Argo CD skips the expression, so it covers nothing
        pytest.param(
            '.spec.template.spec.initContainers[] | select(.name == "x")',
            (*CONTAINER, 0),
            False,
            id="each-of-null-fails",
        ),
        pytest.param(".spec.replicas[]", ("spec", "replicas"), False, id="each-of-a-number-fails"),
        pytest.param(".spec.replicas.value", ("spec", "replicas"), False, id="field-of-a-number-fails"),
        pytest.param(C + ".web", (*CONTAINER, 0), False, id="field-of-a-list-fails"),
        pytest.param(".spec[0]", ("spec", "replicas"), False, id="index-of-a-mapping-fails"),
        pytest.param(
            C + '[] | select(.tty | startswith("t"))', (*CONTAINER, 1), False, id="startswith-of-a-boolean-fails"
        ),
        pytest.param(C + "[].env[].value", (*CONTAINER, 0, "env", 0, "value"), False, id="one-failure-fails-all"),
        pytest.param(".missing.deeper[0].x", ("missing", "deeper", 0, "x"), True, id="null-has-every-path"),
    ],
)
def test_jq_path_expressions(expression: str, path: tuple[str | int, ...], expected: bool) -> None:
    assert covered(RuleKind.JQ_PATH, expression, CONTAINERS, path) is expected


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        pytest.param(".spec | del(.replicas)", "unsupported jq: expected '.' at 'del'", id="a-function"),
        pytest.param("..", "unsupported jq: expected a name at '.'", id="recursion"),
        pytest.param(".spec.containers[1:2]", "unsupported jq at column 19: ':2]'", id="a-slice"),
        pytest.param(".a + 1", "unsupported jq at column 4: '+ 1'", id="arithmetic"),
        pytest.param(".a, .b", "unsupported jq at column 3: ', .b'", id="a-comma"),
        pytest.param(".a[1.5]", "unsupported jq: index 1.5", id="a-fractional-index"),
        pytest.param(".a[0", "unsupported jq: expected ']' at 'the end'", id="unclosed"),
        pytest.param(".a)", "unsupported jq from ')'", id="trailing"),
        pytest.param("", "unsupported jq: expected '.' at 'the end'", id="empty"),
        pytest.param('select(.a == "x" and .b)', "unsupported jq: expected ')' at 'and'", id="and"),
        pytest.param("select(.a == x)", "unsupported jq: x is not a literal", id="not-a-literal"),
        pytest.param("select(.a ==", "unsupported jq: expected a name at 'the end'", id="no-literal"),
        pytest.param('select(.a | test("x"))', "unsupported jq: expected 'startswith' at 'test'", id="test"),
        pytest.param("select(.a)", "unsupported jq: expected '!=' at ')'", id="truthiness"),
    ],
)
def test_unsupported_jq_is_unsure(expression: str, reason: str) -> None:
    ignore = rule(RuleKind.JQ_PATH, expression)
    entry = Entry("*", "*", None, None, (ignore,))
    assert ignores.judge([entry], DEPLOY, CONTAINERS, [("spec", "replicas")]) == [
        Unsure(ignore, Doubt.UNEVALUATED, reason)
    ]


def test_select_literals() -> None:
    document = {"items": [{"n": 1.0}, {"n": "1"}, {"n": None}, {"n": 2}]}
    assert covered(RuleKind.JQ_PATH, ".items[] | select(.n == 1)", document, ("items", 0))  # 1.0 == 1 in jq
    assert not covered(RuleKind.JQ_PATH, ".items[] | select(.n == 1)", document, ("items", 1))
    assert covered(RuleKind.JQ_PATH, '.items[] | select(.n == "1")', document, ("items", 1))
    assert covered(RuleKind.JQ_PATH, ".items[] | select(.n == null)", document, ("items", 2))
    assert covered(RuleKind.JQ_PATH, ".items[] | select(.n != false)", document, ("items", 3))
    assert not covered(RuleKind.JQ_PATH, ".items[] | select(.n == -2.5)", document, ("items", 3))


# --- managed fields ----------------------------------------------------------------------------------------


def test_managed_fields_managers_depend_on_the_live_object() -> None:
    ignore = rule(RuleKind.MANAGERS, "kube-controller-manager")
    pointer = rule(RuleKind.JSON_POINTER, "/spec/replicas")
    entry = Entry("apps", "Deployment", None, None, (ignore, pointer))
    assert ignores.judge([entry], DEPLOY, {}, [("spec", "replicas"), ("spec", "paused")]) == [
        Unsure(
            ignore,
            Doubt.LIVE_MANAGERS,
            "fields owned by 'kube-controller-manager' in the live object's managedFields",
        ),
        Covered(pointer, ("spec", "replicas")),
    ]
    assert Doubt.LIVE_MANAGERS.value == "depends on live managed fields"


# --- changed paths -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "paths"),
    [
        pytest.param({"a": 1}, {"a": 1}, [], id="same"),
        pytest.param({"a": {"b": 1, "c": 2}}, {"a": {"b": 1, "c": 3}}, [("a", "c")], id="nested-value"),
        pytest.param({"a": 1}, {"a": 1, "b": {"c": 1, "d": [2]}}, [("b", "c"), ("b", "d", 0)], id="added-subtree"),
        pytest.param({"a": 1, "b": 2}, {"b": 2}, [("a",)], id="removed-key"),
        pytest.param({"a": [1, 2]}, {"a": [1, 3, 4]}, [("a", 1), ("a", 2)], id="list-items-by-index"),
        pytest.param({"a": [1, 2]}, {"a": [1]}, [("a", 1)], id="removed-item"),
        pytest.param(
            {"r": [{"w": 90}, {"w": 10}]}, {"r": [{"w": 80}, {"w": 20}]}, [("r", 0, "w"), ("r", 1, "w")], id="weights"
        ),
        pytest.param({"a": {}}, {"a": {"b": 1}}, [("a", "b")], id="filled-mapping"),
        pytest.param({"a": {"b": 1}}, {"a": {}}, [("a", "b")], id="emptied-mapping"),
        pytest.param({}, {"a": {}}, [("a",)], id="added-empty-mapping"),
        pytest.param({"a": 1}, {"a": "1"}, [("a",)], id="number-to-string"),
        pytest.param({"a": 1}, {"a": True}, [("a",)], id="number-to-boolean"),
        pytest.param({"a": 1}, {"a": 1.0}, [("a",)], id="integer-to-float"),
        pytest.param({"a": {"b": 1}}, {"a": [1]}, [("a", "b"), ("a", 0)], id="mapping-to-list"),
        pytest.param({"a": None}, {"a": None}, [], id="same-null"),
        pytest.param("x", "y", [()], id="root-scalars"),
    ],
)
def test_changed_paths(before: Any, after: Any, paths: list[tuple[str | int, ...]]) -> None:
    assert ignores.changed_paths(before, after) == paths
