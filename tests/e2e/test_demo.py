"""``promoter demo`` end to end: the rolling, canary and blue/green pipelines of ``config/``, each with a good
version that goes all the way and a bad one reverted by one PR, on one sandbox; and the timeline it prints.

The demo runs once for the module (about a minute); each test reads what it left.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from promoter import logs
from promoter.cli import demo
from promoter.cli.sandbox import checkout_config
from promoter.core.model import Phase

# One worker runs the whole module, so the demo runs once, not once per worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo")]

CHECKOUT, PAYMENTS = "envs/prod/checkout", "envs/prod/payments"


@dataclasses.dataclass(frozen=True)
class Ran:
    outcomes: tuple[demo.Outcome, ...]
    output: str

    def of(self, pipeline: str, version: str) -> demo.Outcome:
        (found,) = [o for o in self.outcomes if (o.pipeline, o.version) == (pipeline, version)]
        return found


@pytest.fixture(scope="module")
def ran() -> Ran:
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        outcomes = demo.run(checkout_config())
    return Ran(outcomes, output.getvalue())


def docs(files: demo.Files, path: str) -> list[dict[str, Any]]:
    return list(YAML(typ="safe").load_all(files[path]))


def weights(files: demo.Files) -> dict[str, int]:
    (vs,) = docs(files, f"{CHECKOUT}/virtualservice.yaml")
    (route,) = vs["spec"]["http"]
    return {d["destination"]["host"]: d["weight"] for d in route["route"]}


def workload(files: demo.Files, path: str) -> tuple[str, int]:
    (doc,) = docs(files, path)
    return doc["spec"]["template"]["spec"]["containers"][0]["image"], doc["spec"]["replicas"]


def selectors(files: demo.Files) -> tuple[str, str]:
    active, preview = docs(files, f"{PAYMENTS}/services.yaml")
    return active["spec"]["selector"]["color"], preview["spec"]["selector"]["color"]


def test_every_promotion_ends_as_the_demo_says(ran: Ran) -> None:
    assert [(o.pipeline, o.version, o.phase) for o in ran.outcomes] == [
        ("guestbook", "1.1.0", Phase.SUCCEEDED),
        ("guestbook", "1.2.0-bad", Phase.FAILED),
        ("checkout", "2.1.0", Phase.SUCCEEDED),
        ("checkout", "2.2.0", Phase.FAILED),
        ("payments", "3.1.0", Phase.SUCCEEDED),
        ("payments", "3.2.0", Phase.FAILED),
    ]
    assert all(o.ok for o in ran.outcomes)


def test_the_rolling_pipeline_goes_through_staging_and_prod_and_reverts_the_bad_version_in_staging(ran: Ran) -> None:
    good, bad = ran.of("guestbook", "1.1.0"), ran.of("guestbook", "1.2.0-bad")
    assert good.merged == ("version 1.1.0", "version 1.1.0")  # staging, then prod
    assert bad.merged == ("version 1.2.0-bad",) and bad.failed_at == "version 1.2.0-bad"
    assert bad.reverts == 1 and bad.restored


def test_a_good_canary_walks_10_30_60_then_the_stable_takes_it_at_100(ran: Ran) -> None:
    good = ran.of("checkout", "2.1.0")
    assert good.merged == (
        "canary 2.1.0",
        "canary 10%",
        "canary 30%",
        "canary 60%",
        "stable 2.1.0",
        "canary 0%: stable takes all traffic again",
        "canary back to 0 replicas",
    )
    assert weights(good.before) == weights(good.after) == {"checkout": 100, "checkout-canary": 0}
    assert workload(good.after, f"{CHECKOUT}/deployment.yaml") == ("ghcr.io/acme/checkout:2.1.0", 4)
    assert workload(good.after, f"{CHECKOUT}/canary.yaml") == ("ghcr.io/acme/checkout:2.1.0", 0)
    assert good.reverts == 0 and all("revert" not in t.lower() for t in good.titles)


def test_a_canary_failing_its_analysis_at_10_percent_is_reverted_by_one_pr_restoring_the_weights(ran: Ran) -> None:
    bad = ran.of("checkout", "2.2.0")
    assert bad.merged == ("canary 2.2.0", "canary 10%")
    assert bad.failed_at == "analysis success-rate"  # Argo CD said Healthy: Prometheus saw the 503s
    assert [t for t in bad.titles if "revert" in t.lower()] == [bad.titles[-1]]  # one revert PR, the last one
    assert bad.reverts == 1
    assert bad.restored  # weights, images and replicas: every file as before, byte for byte
    assert weights(bad.after) == {"checkout": 100, "checkout-canary": 0}
    assert workload(bad.after, f"{CHECKOUT}/canary.yaml") == ("ghcr.io/acme/checkout:2.1.0", 0)


def test_a_good_blue_green_switches_to_green_and_scales_blue_down(ran: Ran) -> None:
    good = ran.of("payments", "3.1.0")
    assert selectors(good.before) == ("blue", "blue")
    assert good.merged == ("green gets 3.1.0", "switch payments to green", "blue scaled down")
    assert selectors(good.after) == ("green", "green")
    assert workload(good.after, f"{PAYMENTS}/green.yaml") == ("ghcr.io/acme/payments:3.1.0", 3)
    assert workload(good.after, f"{PAYMENTS}/blue.yaml")[1] == 0


def test_a_blue_green_failing_after_the_switch_is_flipped_back_by_one_revert(ran: Ran) -> None:
    bad = ran.of("payments", "3.2.0")  # the colours take turns: blue gets it
    assert bad.merged == ("blue gets 3.2.0", "switch payments to blue")
    assert bad.failed_at == "switch payments to blue"
    assert bad.reverts == 1 and bad.restored
    assert selectors(bad.after) == ("green", "green")  # the traffic is back on the good version
    assert workload(bad.after, f"{PAYMENTS}/green.yaml") == ("ghcr.io/acme/payments:3.1.0", 3)
    assert workload(bad.after, f"{PAYMENTS}/blue.yaml")[1] == 0


def test_the_timeline_names_each_step_and_shows_the_reverts(ran: Ran) -> None:
    lines = ran.output.splitlines()

    def shown(*words: str) -> bool:
        return any(all(w in line for w in words) for line in lines)

    for percent in (10, 30, 60):
        assert shown("checkout", "2.1.0", "step_merged", f"canary {percent}%: #")
    assert shown("checkout", "2.1.0", "step_merged", "canary 0%: stable takes all traffic again")
    assert shown("payments", "3.1.0", "step_merged", "switch payments to green")
    assert shown("checkout", "2.2.0", "measured", "success-rate #1")  # Prometheus' answer, in the timeline
    assert shown("checkout", "2.2.0", "step_failed", "analysis success-rate failed: success-rate Failed")
    assert shown("payments", "3.2.0", "step_failed", "switch payments to blue")
    for pipeline, version in (("guestbook", "1.2.0-bad"), ("checkout", "2.2.0"), ("payments", "3.2.0")):
        assert shown(pipeline, version, "revert_merged", "revert #")
        assert shown(pipeline, version, "now", "every file as before it")
    assert shown("checkout", "2.2.0", "now", "weights checkout 100 / checkout-canary 0")
    assert shown("payments", "3.2.0", "now", "payments selects green")


def test_the_command_prints_every_outcome_and_exits_0_only_if_each_is_as_expected(
    ran: Ran, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "configure", lambda *_a, **_k: None)  # keep the tests' logging as it is
    monkeypatch.setattr(demo, "run", lambda *_a, **_k: ran.outcomes)
    result = CliRunner().invoke(demo.demo, [])
    assert result.exit_code == 0, result.output
    assert "checkout  2.2.0      Failed at analysis success-rate, reverted by 1 PR" in result.output
    assert result.output.rstrip().endswith("-> OK")

    wrong = (dataclasses.replace(ran.outcomes[0], phase=Phase.FAILED), *ran.outcomes[1:])
    monkeypatch.setattr(demo, "run", lambda *_a, **_k: wrong)
    result = CliRunner().invoke(demo.demo, [])
    assert result.exit_code == 1
    assert "UNEXPECTED (wanted Succeeded)" in result.output
