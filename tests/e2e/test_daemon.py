"""The daemon as deployed: ``promoter run --listen`` serves health and metrics, and stops on SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from ruamel.yaml import YAML

from promoter.core.model import Phase
from tests.e2e.world import World

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_run_serves_health_and_metrics_and_stops_on_sigterm(world: World) -> None:
    world.start("1.0.1")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "promoter", "run", "--listen", f"127.0.0.1:{port}", "--config", str(world.config)],
        env=world.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        ready = None
        while time.monotonic() < deadline:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        assert ready is not None and ready.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).text == "ok\n"
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
        assert 'promoter_reconcile_passes_total{outcome="ok",pipeline="app"}' in metrics
        assert world.pulls(), "the daemon promoted"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr.decode()[-2000:]


def test_the_deployed_config_validates(tmp_path: Path) -> None:
    yaml = YAML(typ="safe")
    documents = {path.name: yaml.load(path) for path in DEPLOY.glob("*.yaml")}
    config = documents["configmap.yaml"]["data"]
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "promoter.yaml").write_text(config["promoter.yaml"])
    (tmp_path / "pipelines" / "guestbook.yaml").write_text(config["guestbook.yaml"])
    result = subprocess.run(
        [sys.executable, "-m", "promoter", "validate", "--offline", "--config", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    deployment = documents["deployment.yaml"]["spec"]["template"]["spec"]
    container = deployment["containers"][0]
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/etc/promoter/promoter.yaml", "/etc/promoter/pipelines/guestbook.yaml", "/var/lib/promoter"} <= mounts
    assert container["args"] == ["run", "--listen", ":8080"]
    assert deployment["automountServiceAccountToken"] is False  # it never talks to the cluster
    kustomization = documents["kustomization.yaml"]
    assert set(kustomization["resources"]) <= set(documents)


def test_a_secondary_rate_limit_is_waited_out_as_github_says_then_the_promotion_goes_on(
    make_world: Callable[..., World],
) -> None:
    """GitHub holds the bot back (403, Retry-After: 2) twice: the daemon asks again no sooner than told, and (its
    interval being 10 minutes) no later than a moment after; nothing is reverted, the promotion succeeds."""
    world = make_world(interval="10m")
    promotion = world.start("4.7.0")
    faults = world.stack.github.app.state.faults
    httpx.post(
        f"{world.stack.github.url}/_sandbox/faults", json={"status": 403, "retry_after": 2, "count": 2}
    ).raise_for_status()
    with world.daemon():
        assert world.finished(promotion.id, timeout=60).phase is Phase.SUCCEEDED
    assert faults.served == 2
    requests = list(faults.requests)
    for index, (at, _, _, status) in enumerate(requests):
        if status is None:
            continue
        came_back = next(t for t, _, _, _ in requests[index + 1 :])
        assert came_back - at >= 2 - 0.05, requests[index : index + 2]  # not before GitHub said
    kinds = [e.kind.value for e in world.rt.store.events("app", promotion.id, limit=1000)]
    assert "step_failed" not in kinds and "revert_pr_opened" not in kinds
