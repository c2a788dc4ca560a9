"""``promoter sandbox up`` says what the simulator found (and, when nothing, why) and who can approve.

The report is values in, lines out, so its cases are tables; one real ``sandbox up`` in a subprocess shows
the lines on stderr, only export lines on stdout, and a clean stop on SIGTERM.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from promoter.gitops import applications
from promoter.sandbox import prometheus, report
from promoter.sandbox.argocd.applications import Catalog
from promoter.sandbox.github import accounts
from tests.sandbox_argocd.conftest import application

HELM_ROOT = "templates/apps.yaml: invalid YAML: expected the node content, but found '-' (line 1)"
READS = (
    "# note: it reads the repo as `promoter apps` does: Application manifests, what app-of-apps roots deploy "
    "(folders, kustomize builds, Helm charts in Git whose templates stay in the Go subset) and ApplicationSets; "
    "children only Argo CD can render (charts from Helm repositories, plugins, templates beyond the subset) "
    "are among the problems"
)
NONE_FOUND = "# warning: the Argo CD simulator found no Applications in the YAML files of the default branch (main)"


def catalog(apps: dict[str, str], problems: tuple[str, ...] = (), sets: tuple[str, ...] = ()) -> Catalog:
    """A catalog of Applications (name -> file), problems, and ApplicationSets by name."""
    found = {}
    for name, file in apps.items():
        app = applications.parse(
            {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": name}}, file
        )
        assert app is not None
        found[name] = app
    application_sets = tuple({"kind": "ApplicationSet", "metadata": {"name": name}} for name in sets)
    return Catalog(found, application_sets, problems)


@pytest.mark.parametrize(
    ("found", "lines"),
    [
        pytest.param(
            catalog({"guestbook-staging": "apps/staging.yaml", "guestbook-prod": "apps/prod.yaml"}),
            [
                "# Argo CD simulator: 2 Applications: guestbook-prod (apps/prod.yaml), guestbook-staging (apps/staging.yaml)"
            ],
            id="one-per-file",
        ),
        pytest.param(
            catalog({"web-b": "apps/web.yaml", "web-a": "apps/web.yaml", "root": "root.yaml"}),
            ["# Argo CD simulator: 3 Applications: web-a, web-b (apps/web.yaml), root (root.yaml)"],
            id="grouped-by-file",
        ),
        pytest.param(
            catalog({"root": "root.yaml"}, problems=(HELM_ROOT,)),
            [
                "# Argo CD simulator: 1 Application: root (root.yaml)",
                f"# Argo CD simulator: 1 problem in files that mention Argo CD: {HELM_ROOT}",
            ],
            id="some-and-a-problem",
        ),
        pytest.param(
            catalog({}, problems=(HELM_ROOT,), sets=("guestbook",)),
            [
                NONE_FOUND,
                f"# warning: 1 problem in files that mention Argo CD: {HELM_ROOT}",
                "# warning: 1 ApplicationSet found, generating no Application: guestbook",
                READS,
            ],
            id="none-helm-root-and-a-set",
        ),
        pytest.param(
            catalog({}),
            [NONE_FOUND, "# warning: no file on main mentions argoproj.io/", READS],
            id="none-at-all",
        ),
    ],
)
def test_the_applications_report(found: Catalog, lines: list[str]) -> None:
    assert report.applications(found, "main") == lines


def test_many_applications_are_capped_by_file_and_by_name() -> None:
    found = catalog(
        {"a1": "a.yaml", "a2": "a.yaml", "a3": "a.yaml", "b1": "b.yaml", "c1": "c.yaml", "c2": "c.yaml"},
        problems=("x.yaml: one", "y.yaml: two", "z.yaml: three"),
    )
    assert report.applications(found, "main", limit=2) == [
        "# Argo CD simulator: 6 Applications in 3 files:",
        "#   a.yaml: a1, a2 and 1 more",
        "#   b.yaml: b1",
        "#   and 1 more file (2 Applications)",
        "# Argo CD simulator: 3 problems in files that mention Argo CD: x.yaml: one; y.yaml: two; and 1 more",
    ]


def test_the_people_and_their_tokens() -> None:
    people = [user for user in accounts.default_users() if user.login != "promoter-bot"]
    assert report.people(people) == (
        "# people: alice (admin) token sandbox-token-alice, bob (write) token sandbox-token-bob, "
        "carol (read) token sandbox-token-carol"
    )


def _lines(stream: IO[str], into: queue.Queue[str | None]) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


def test_sandbox_up_reports_on_stderr_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    repo = tmp_path / "config"
    (repo / "apps").mkdir(parents=True)
    (repo / "apps/staging.yaml").write_text(application("guestbook-staging", "envs/staging", "staging"))
    (repo / "apps/prod.yaml").write_text(application("guestbook-prod", "envs/prod", "prod"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROMOTER_")}
    with subprocess.Popen(
        [sys.executable, "-m", "promoter", "sandbox", "up", "--repo", str(repo)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        try:
            errors: queue.Queue[str | None] = queue.Queue()
            threading.Thread(target=_lines, args=(process.stderr, errors), daemon=True).start()
            seen: list[str] = []
            deadline = time.monotonic() + 30
            while not (seen and seen[-1].startswith("# serving")):
                line = errors.get(timeout=max(deadline - time.monotonic(), 0.1))
                assert line is not None, "".join(seen)
                seen.append(line)
            signalled = time.monotonic()
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)
            stopping = time.monotonic() - signalled
            out = process.stdout.read()
            rest = []
            while (line := errors.get(timeout=5)) is not None:
                rest.append(line)
        finally:
            process.kill()  # nothing happens to a process that has exited

    assert process.returncode == 0, "".join(seen + rest)
    assert stopping < 5
    assert (
        "# Argo CD simulator: 2 Applications: guestbook-prod (apps/prod.yaml), guestbook-staging (apps/staging.yaml)\n"
        in seen
    )
    assert any(line.startswith("# people: alice (admin) token sandbox-token-alice") for line in seen)
    assert "Traceback" not in "".join(rest)
    assert out and all(line.startswith("export PROMOTER_") for line in out.splitlines()), out
    if prometheus.installed() or os.environ.get("CI"):  # (started when installed: the analyses' Prometheus)
        assert "export PROMOTER_PROMETHEUS_URL=http://127.0.0.1:" in out, out
        assert any("scraped by Prometheus http://127.0.0.1:" in line for line in seen), seen
