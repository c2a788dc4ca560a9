"""``promoter apps DIR``: the table, ``--json`` and its schema, ``--tree``, ``--file``, refusals, and Argo CD."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import jsonschema
import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from promoter.cli import appsjson, main
from promoter.gitops import scan
from tests.gitops.test_discovery import APPSET, CLUSTER_SET, app

QUIET = {"PROMOTER_ARGOCD_URL": None, "PROMOTER_ARGOCD_TOKEN": None, "COLUMNS": "200"}
REPO = {
    "bootstrap/root.yaml": app("root", "apps"),
    "apps/web.yaml": app("web", "web", helm="{valueFiles: [values-prod.yaml]}"),
    "apps/sets.yaml": APPSET,
    "web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    "web/values-prod.yaml": "replicas: 2\n",
    "envs/dev/deploy.yaml": "kind: Deployment\n",
    "envs/prd/deploy.yaml": "kind: Deployment\n",
    ".git/config": '[remote "origin"]\n\turl = https://github.com/o/config.git\n',
    ".git/apps.yaml": app("inside-git", "x"),
}

SOURCE = {
    "type": "object",
    "required": ["repoURL", "path", "chart", "targetRevision", "ref", "helm", "kustomize", "directory"],
    "properties": {
        "repoURL": {"type": ["string", "null"]},
        "path": {"type": ["string", "null"]},
        "chart": {"type": ["string", "null"]},
        "targetRevision": {"type": "string"},
        "ref": {"type": ["string", "null"]},
        "helm": {
            "oneOf": [
                {"type": "null"},
                {"type": "object", "required": ["valueFiles"], "properties": {"valueFiles": {"type": "array"}}},
            ]
        },
        "kustomize": {"type": ["object", "null"]},
        "directory": {"type": ["object", "null"]},
    },
}
LOCATION = {
    "oneOf": [
        {"type": "null"},
        {
            "type": "object",
            "required": ["file", "line"],
            "properties": {"file": {"type": "string"}, "line": {"type": "integer"}},
            "additionalProperties": False,
        },
    ]
}
SCHEMA = {  # the schema the module docstring documents: scripts rely on it
    "type": "object",
    "required": ["applications", "applicationSets", "tree", "pending", "problems"],
    "properties": {
        "applications": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "name",
                    "namespace",
                    "project",
                    "origin",
                    "sources",
                    "multiSource",
                    "hydrator",
                    "destination",
                    "definedIn",
                    "generatedBy",
                    "parent",
                ],
                "properties": {
                    "name": {"type": "string"},
                    "origin": {"enum": ["manifest", "app-of-apps", "applicationset", "argocd-api"]},
                    "sources": {"type": "array", "items": SOURCE},
                    "multiSource": {"type": "boolean"},
                    "definedIn": LOCATION,
                    "generatedBy": {
                        "oneOf": [
                            {"type": "null"},
                            {"type": "object", "required": ["applicationSet", "params"]},
                        ]
                    },
                    "parent": {"type": ["string", "null"]},
                },
            },
        },
        "applicationSets": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "name",
                    "namespace",
                    "definedIn",
                    "parent",
                    "generators",
                    "applications",
                    "unresolved",
                    "notes",
                ],
            },
        },
        "tree": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "pending": {"type": "array", "items": {"type": "object", "required": ["parent", "reason"]}},
        "problems": {"type": "array", "items": {"type": "object", "required": ["file", "line", "message"]}},
        "images": {  # with --images only
            "type": "array",
            "items": {
                "type": "object",
                "required": ["file", "doc", "line", "path", "written", "name", "tag", "digest", "form", "overrides"],
                "additionalProperties": False,
                "properties": {
                    "file": {"type": "string"},
                    "doc": {"type": "integer", "minimum": 0},
                    "line": {"type": "integer", "minimum": 1},
                    "path": {"type": "string"},
                    "written": {"type": "string"},
                    "name": {"type": "string"},
                    "tag": {"type": ["string", "null"]},
                    "digest": {"type": ["string", "null"]},
                    "form": {
                        "enum": [
                            "container",
                            "value",
                            "helm",
                            "json-patch",
                            "kustomize",
                            "argocd-kustomize",
                            "helm-parameters",
                        ]
                    },
                    "overrides": {"type": ["string", "null"]},
                },
            },
        },
    },
}
IMAGES = {
    **REPO,
    "envs/dev/deploy.yaml": "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
    "        - name: web\n          image: ghcr.io/o/web:1.2.3\n",
    "envs/prd/kustomization.yaml": "resources: [../dev]\nimages:\n  - name: ghcr.io/o/web\n    newTag: 1.2.0\n",
    "web/values-prod.yaml": "replicas: 2\nimage:\n  repository: ghcr.io/o/web\n  tag: '1.1.0'\n---\nimage: a/b@sha256:"
    + "0" * 64
    + "\n",
    "web/templates/deploy.yaml": 'image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n',
    "envs/broken.yaml": "image: a/b:1\n  x: [\n",
}


def checkout(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def run(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(main.cli, ["apps", *args], env={**QUIET, **(env or {})}, catch_exceptions=False)


def test_table_one_line_per_application(tmp_path: Path) -> None:
    result = run(str(checkout(tmp_path, REPO)))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "NAME",
        "NAMESPACE/PROJECT",
        "ORIGIN",
        "REPO",
        "PATH/CHART",
        "REVISION",
        "DEFINED",
        "IN",
    ]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["root", "argocd/default", "manifest"],
        # the set names no namespace: root creates it in its destination namespace, where it generates
        ["guestbook-dev", "default/default", "applicationset"],
        ["guestbook-prd", "default/default", "applicationset"],
        ["web", "argocd/default", "app-of-apps"],
    ]
    assert lines[1].endswith("bootstrap/root.yaml:1")
    assert "github.com/o/config  envs/dev" in lines[2] and "ApplicationSet guestbook (apps/sets.yaml:1)" in lines[2]
    assert lines[4].endswith("apps/web.yaml:1 (under root)")
    assert result.stderr == ""


def test_table_fits_a_narrow_terminal(tmp_path: Path) -> None:
    files = {f"apps/{n}.yaml": app(f"application-with-a-long-name-{n}", f"some/long/path/{n}" * 3) for n in range(30)}
    result = run(str(checkout(tmp_path, files)), env={"COLUMNS": "110"})
    lines = result.stdout.splitlines()
    assert len(lines) == 31
    assert max(len(line) for line in lines) <= 110
    assert "…" in lines[1] and lines[1].startswith("application-with-a-long-name-0 ")  # names are cut last


def test_json_follows_the_documented_schema(tmp_path: Path) -> None:
    result = run(str(checkout(tmp_path, REPO)), "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    by_name = {a["name"]: a for a in document["applications"]}
    assert by_name["root"]["definedIn"] == {"file": "bootstrap/root.yaml", "line": 1}
    assert by_name["web"]["parent"] == "root"
    assert by_name["web"]["sources"][0]["helm"] == {"valueFiles": ["values-prod.yaml"]}
    assert by_name["guestbook-dev"]["generatedBy"]["applicationSet"] == "guestbook"
    assert by_name["guestbook-dev"]["generatedBy"]["params"]["path"]["basename"] == "dev"
    assert document["tree"] == {
        "root": ["ApplicationSet/guestbook", "web"],
        "ApplicationSet/guestbook": ["guestbook-dev", "guestbook-prd"],
    }
    assert document["applicationSets"][0]["generators"] == ["git directories"]
    assert "inside-git" not in by_name  # .git is skipped
    assert "files" not in document


def test_a_file_no_known_application_deploys_is_not_said_to_be_deployed_by_none(tmp_path: Path) -> None:
    """With an ApplicationSet only Argo CD's controller can expand, "no Application deploys it" would be a guess."""
    files = {"sets/c.yaml": CLUSTER_SET, "envs/dev/deploy.yaml": "kind: Deployment\n"}
    result = run(str(checkout(tmp_path, files)), "--file", "envs/dev/deploy.yaml")
    assert result.stdout == (
        "envs/dev/deploy.yaml: no Application found to deploy it, but not every one is known (see the notes)\n"
    )
    assert "children only Argo CD knows" in result.stderr


def test_images_lists_every_reference_with_file_and_line(tmp_path: Path) -> None:
    result = run(str(checkout(tmp_path, IMAGES)), "--json", "--images")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    found = [
        (i["file"], i["doc"], i["line"], i["path"], i["name"], i["tag"], i["digest"], i["form"])
        for i in document["images"]
    ]
    assert found == [
        (
            "envs/dev/deploy.yaml",
            0,
            7,
            "spec.template.spec.containers[0].image",
            "ghcr.io/o/web",
            "1.2.3",
            None,
            "container",
        ),
        ("envs/prd/kustomization.yaml", 0, 3, "images[0]", "ghcr.io/o/web", "1.2.0", None, "kustomize"),
        ("web/values-prod.yaml", 0, 3, "image", "ghcr.io/o/web", "1.1.0", None, "helm"),
        ("web/values-prod.yaml", 1, 6, "image", "a/b", None, "sha256:" + "0" * 64, "value"),
    ]  # a chart's templates are Helm's to render: no reference of their own, and no problem
    assert [(p["file"], p["line"]) for p in document["problems"]] == [("envs/broken.yaml", 2)]
    assert len(document["applications"]) == 4  # the Applications as without --images


_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)  # quotes, backslashes, controls, beyond the BMP
_REFS = st.builds(
    scan.ImageRef,
    file=_TEXT,
    doc=st.integers(0, 99),
    line=st.integers(1, 10**6),
    path=_TEXT,
    written=_TEXT,
    name=_TEXT,
    tag=st.none() | _TEXT,
    digest=st.none() | _TEXT,
    form=st.sampled_from(scan.Form),
    overrides=st.none() | _TEXT,
)


@given(st.lists(_REFS, max_size=4))
def test_the_images_member_is_the_generic_dump_of_their_fields(refs: list[scan.ImageRef]) -> None:
    fields = [
        {**{name: getattr(ref, name) for name in scan.ImageRef.__dataclass_fields__}, "form": ref.form.value}
        for ref in refs
    ]
    written = appsjson.images(refs)
    assert written == appsjson.dumps({"images": fields}).removeprefix('{\n  "images": ').removesuffix("\n}")
    assert json.loads(written) == fields


def test_images_table_follows_the_applications(tmp_path: Path) -> None:
    result = run(str(checkout(tmp_path, IMAGES)), "--images", env={"COLUMNS": "100"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    header = lines.index(next(line for line in lines if line.startswith("IMAGE")))
    assert lines[header - 1] == "" and lines[0].startswith("NAME")
    assert lines[header].split() == ["IMAGE", "TAG/DIGEST", "FORM", "WHERE", "PATH"]
    rows = lines[header + 1 :]
    assert len(rows) == 4 and max(len(line) for line in lines) <= 100
    assert rows[0].split()[:4] == ["ghcr.io/o/web", "1.2.3", "container", "envs/dev/deploy.yaml:7"]
    assert rows[3].split()[:3] == ["a/b", "sha256:" + "0" * 16 + "…", "value"]
    assert "web/values-prod.yaml:6 (document 1)" in rows[3]
    assert "promoter: warning: envs/broken.yaml:2: not valid YAML" in result.stderr


def test_tree(tmp_path: Path) -> None:
    result = run(str(checkout(tmp_path, REPO)), "--tree")
    assert result.stdout.splitlines() == [
        "root  (bootstrap/root.yaml:1)",
        "├── ApplicationSet/guestbook  (apps/sets.yaml:1)",
        "│   ├── guestbook-dev",
        "│   └── guestbook-prd",
        "└── web  (apps/web.yaml:1)",
    ]


def test_pending_children_are_noted_offline(tmp_path: Path) -> None:
    result = run(str(checkout(tmp_path, {"sets/clusters.yaml": CLUSTER_SET})), "--tree")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:2] == [
        "ApplicationSet/guestbook  (sets/clusters.yaml:1)",
        "└── … only Argo CD knows: spec.generators[0].clusters: lists Argo CD's clusters, which were not given"
        " (Argo CD not asked)",
    ]
    assert "set PROMOTER_ARGOCD_URL and PROMOTER_ARGOCD_TOKEN to ask it" in result.stderr


def test_cycle_is_refused(tmp_path: Path) -> None:
    result = run(str(checkout(tmp_path, {"x/b.yaml": app("b", "y"), "y/a.yaml": app("a", "x")})), "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["problems"][0]["message"].endswith("a -> b -> a")
    assert "promoter: error: refused: Applications deploy each other: a -> b -> a" in result.stderr


def test_yaml_error_is_reported_with_file_and_line(tmp_path: Path) -> None:
    files = {"apps/broken.yaml": app("broken", "b") + "  extra: [\n", "apps/good.yaml": app("good", "g")}
    result = run(str(checkout(tmp_path, files)))
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == ["good"]
    assert result.stderr.startswith("promoter: warning: apps/broken.yaml:16: invalid YAML")


def test_not_a_directory_is_refused(tmp_path: Path) -> None:
    result = run(str(tmp_path / "missing"))
    assert result.exit_code == 2
    assert result.stderr == f"promoter: {tmp_path / 'missing'}: not a directory\n"


def test_remotes_of_the_checkout_decide_which_sources_are_followed(tmp_path: Path) -> None:
    files = {**REPO, "bootstrap/root.yaml": app("root", "apps", repo="https://github.com/someone/else")}
    document = json.loads(run(str(checkout(tmp_path, files)), "--json").stdout)
    assert "root" not in document["tree"]  # .git/config says this is github.com/o/config
    document = json.loads(run(str(tmp_path), "--json", "--repo-url", "https://github.com/someone/else").stdout)
    assert document["tree"]["root"] == ["ApplicationSet/guestbook", "web"]
    assert "reads https://github.com/o/config, not this checkout" in document["applicationSets"][0]["unresolved"]


def test_file_lists_the_applications_deploying_it(tmp_path: Path) -> None:
    root = checkout(tmp_path, REPO)
    result = run(
        str(root),
        "--file",
        "web/values-prod.yaml",
        "--file",
        str(root / "envs/dev/deploy.yaml"),
        "--file",
        "nowhere.txt",
    )
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("web/values-prod.yaml: web (source 0): ")
    assert lines[1].startswith("envs/dev/deploy.yaml: guestbook-dev (source 0): ")
    assert lines[2] == "nowhere.txt: no Application deploys it"
    document = json.loads(run(str(root), "--json", "--file", "envs/prd/deploy.yaml").stdout)
    assert [r["application"] for r in document["files"]["envs/prd/deploy.yaml"]] == ["guestbook-prd"]


# --- Argo CD --------------------------------------------------------------------------------------------


class _ArgoCD(http.server.BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, Any]] = {}
    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.asked.append(self.path)
        if self.headers.get("Authorization") != "Bearer t0ken":
            self._send(401, {"message": "no session"})
        elif self.path in self.answers:
            self._send(200, self.answers[self.path])
        else:
            self._send(404, {"message": "not found"})

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def argocd() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ArgoCD)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _ArgoCD.asked.clear()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_argocd_is_asked_for_what_only_it_knows(tmp_path: Path, argocd: str) -> None:
    _ArgoCD.answers.clear()
    _ArgoCD.answers.update(
        {
            "/api/v1/applications": {
                "items": [
                    {"metadata": {"name": "from-chart", "labels": {"app.kubernetes.io/instance": "root"}}, "spec": {}},
                ]
            },
            "/api/v1/clusters": {
                "items": [{"name": "prod", "server": "https://prod.example.com", "labels": {"a": "b"}}]
            },
        }
    )
    files = {"root.yaml": app("root", "chart", plugin="{name: cmp}"), "chart/x.yaml": "", "sets/c.yaml": CLUSTER_SET}
    env = {"PROMOTER_ARGOCD_URL": argocd, "PROMOTER_ARGOCD_TOKEN": "t0ken"}
    result = run(str(checkout(tmp_path, files)), "--json", env=env)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [(a["name"], a["origin"], a["parent"]) for a in document["applications"]] == [
        ("root", "manifest", None),
        ("from-chart", "argocd-api", "root"),
        ("guestbook-prod", "applicationset", None),
    ]
    assert document["pending"] == []
    assert _ArgoCD.asked == ["/api/v1/applications", "/api/v1/clusters"]
    _ArgoCD.asked.clear()
    assert run(str(tmp_path), "--offline", env=env).exit_code == 0
    assert _ArgoCD.asked == []


def test_argocd_that_refuses_is_a_failure_and_the_checkout_is_still_listed(tmp_path: Path, argocd: str) -> None:
    env = {"PROMOTER_ARGOCD_URL": argocd, "PROMOTER_ARGOCD_TOKEN": "wrong"}
    result = run(str(checkout(tmp_path, {"root.yaml": app("root", "x")})), env=env)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[1].startswith("root ")
    assert f"promoter: error: Argo CD: GET {argocd}/api/v1/applications answered 401" in result.stderr
    assert "wrong" not in result.stderr  # never the token


def test_unreachable_argocd_is_a_failure(tmp_path: Path) -> None:
    env = {"PROMOTER_ARGOCD_URL": "http://127.0.0.1:9", "PROMOTER_ARGOCD_TOKEN": "t"}
    result = run(str(checkout(tmp_path, {"root.yaml": app("root", "x")})), env=env)
    assert result.exit_code == 1
    assert "promoter: error: Argo CD: GET http://127.0.0.1:9/api/v1/applications failed: ConnectError" in result.stderr


def test_corpus_demo_as_json(corpus: Path) -> None:
    result = run(str(corpus / "repos" / "argoproj-labs+gitops-promoter-demo"), "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    assert len(document["applications"]) == 16
    hydrated = next(a for a in document["applications"] if a["name"] == "guestbook-github-dev")
    assert hydrated["sources"][0]["path"] == "demo-apps/guestbook"
    assert hydrated["hydrator"]["syncSource"] == {"targetBranch": "env/dev", "path": "hydrated/guestbook-github-dev"}
