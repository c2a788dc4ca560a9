"""The ``edit`` command line: output, exit codes (0 done, 1 failure, 2 refused), atomic writes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.yamledit.cli_runner import promoter

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: web
        image: ghcr.io/acme/web:1.0
      - name: proxy
        image: ghcr.io/acme/web:1.0
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT)
    return tmp_path


def test_set_prints_a_unified_diff_and_writes_nothing(workdir: Path) -> None:
    result = promoter("edit", "set", "deploy.yaml", "spec.replicas=3", cwd=workdir)
    assert result.returncode == 0
    assert result.stdout.decode() == (
        "--- a/deploy.yaml\n+++ b/deploy.yaml\n@@ -5,3 +5,3 @@\n spec:\n-  replicas: 2\n+  replicas: 3\n   template:\n"
    )
    assert (workdir / "deploy.yaml").read_text() == DEPLOYMENT


def test_context_option(workdir: Path) -> None:
    result = promoter("edit", "set", "deploy.yaml", "spec.replicas=3", "-U", "0", cwd=workdir)
    assert result.stdout.decode().endswith("@@ -6 +6 @@\n-  replicas: 2\n+  replicas: 3\n")


def test_set_write(workdir: Path) -> None:
    target = workdir / "deploy.yaml"
    target.chmod(0o640)
    result = promoter("edit", "set", "deploy.yaml", "spec.replicas=3", "metadata.name=web2", "--write", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    assert target.read_text() == DEPLOYMENT.replace("replicas: 2", "replicas: 3").replace(
        "name: web\n", "name: web2\n", 1
    )
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in workdir.iterdir()) == ["deploy.yaml"]  # no temporary file left


def test_write_through_a_symlink_keeps_the_link(workdir: Path) -> None:
    (workdir / "link.yaml").symlink_to("deploy.yaml")
    assert promoter("edit", "set", "link.yaml", "spec.replicas=4", "--write", cwd=workdir).returncode == 0
    assert (workdir / "link.yaml").is_symlink()
    assert "replicas: 4" in (workdir / "deploy.yaml").read_text()


def test_image_with_container(workdir: Path) -> None:
    result = promoter(
        "edit", "image", "deploy.yaml", "ghcr.io/acme/web:1.1", "--container", "proxy", "--write", cwd=workdir
    )
    assert result.returncode == 0, result.stderr
    text = (workdir / "deploy.yaml").read_text()
    assert text == DEPLOYMENT[: DEPLOYMENT.rindex("1.0")] + "1.1\n"


def test_image_diff(workdir: Path) -> None:
    result = promoter("edit", "image", "deploy.yaml", "ghcr.io/acme/web:1.1", cwd=workdir)
    assert result.returncode == 0
    assert result.stdout.decode().count("+        image: ghcr.io/acme/web:1.1") == 2


def test_missing_final_newline_in_the_diff(tmp_path: Path) -> None:
    (tmp_path / "v.yaml").write_text("tag: v1")
    result = promoter("edit", "set", "v.yaml", "tag=v2", cwd=tmp_path)
    assert (
        result.stdout.decode()
        == "--- a/v.yaml\n+++ b/v.yaml\n@@ -1 +1 @@\n-tag: v1\n\\ No newline at end of file\n+tag: v2\n\\ No newline at end of file\n"
    )


REFUSALS = {
    "missing path": ("deploy.yaml", ["spec.replica=3"], "deploy.yaml:6:3: no key 'replica' in spec"),
    "ambiguous selector": ("dup.yaml", ["c[name=a].image=x"], "dup.yaml:2:1: 2 items with name=a"),
    "non-scalar": ("deploy.yaml", ["spec.template=x"], "deploy.yaml:8:5: spec.template is a mapping, not a scalar"),
    "type": ("deploy.yaml", ["spec.replicas=many"], "deploy.yaml:6:13: spec.replicas holds an int"),
    "tab after value": ("tab.yaml", ["a=2"], "tab.yaml:2:5: not valid YAML"),
    "bad path syntax": ("deploy.yaml", ["spec..replicas=3"], "deploy.yaml: empty key at column 6"),
    "not an assignment": ("deploy.yaml", ["spec.replicas"], "is not PATH=VALUE"),
    "doc out of range": ("deploy.yaml", ["spec.replicas=3", "--doc", "3"], "there is no document 3"),
    "not utf-8": ("latin1.yaml", ["a=2"], "latin1.yaml:2: not UTF-8 text"),
    "binary": ("binary.yaml", ["a=2"], "binary.yaml: a binary file"),
    "missing file": ("nope.yaml", ["a=2"], "nope.yaml: no such file"),
    "helm template": ("chart/templates/deployment.yaml", ["spec.replicas=2"], "a Helm template of the chart chart"),
}


@pytest.mark.parametrize(("name", "args", "message"), REFUSALS.values(), ids=REFUSALS.keys())
def test_refusals_exit_2_name_file_line_reason_and_write_nothing(
    workdir: Path, name: str, args: list[str], message: str
) -> None:
    (workdir / "dup.yaml").write_text("c:\n- name: a\n  image: x\n- name: a\n  image: y\n")
    (workdir / "tab.yaml").write_text("a: 1\nb: 2\t# a TAB after the value\n")
    (workdir / "latin1.yaml").write_bytes(b"a: 1\nb: caf\xe9\n")
    (workdir / "binary.yaml").write_bytes(b"a: 1\n\0\0")
    chart = workdir / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("name: chart\n")
    (chart / "templates" / "deployment.yaml").write_text("spec:\n  replicas: 1\n")
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in workdir.rglob("*") if p.is_file()}

    result = promoter("edit", "set", name, *args, "--write", cwd=workdir)

    assert result.returncode == 2, result.stderr
    assert message in result.stderr.decode()
    assert result.stdout == b""
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in workdir.rglob("*") if p.is_file()}
    assert after == before


def test_image_refusals(workdir: Path) -> None:
    result = promoter("edit", "image", "deploy.yaml", "ghcr.io/acme/other:1", cwd=workdir)
    assert result.returncode == 2
    assert "deploy.yaml: no reference to the image ghcr.io/acme/other" in result.stderr.decode()
    result = promoter("edit", "image", "deploy.yaml", "ghcr.io/acme/web", cwd=workdir)
    assert result.returncode == 2
    assert "names no tag or digest" in result.stderr.decode()


def test_help_and_version() -> None:
    cwd = Path(os.getcwd())
    assert promoter("--help", cwd=cwd).returncode == 0
    assert b"edit" in promoter("--help", cwd=cwd).stdout
    assert promoter("--version", cwd=cwd).stdout.startswith(b"promoter")
