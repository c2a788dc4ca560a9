"""Analysis in the walk, as a truth table: an analysis gate (a rolling stage's post-deploy analysis), a canary's
background run, blue/green's pre- and post-promotion analysis, and what needs asks the shell to measure."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from promoter.core import analysis, conditions, evaluation, needs, schedule, strategies
from promoter.core import plan as plans
from promoter.core.actions import Comment, Decision, Record, SetStatus, StatusState
from promoter.core.commands import Command, CommandKind
from promoter.core.decide import decide
from promoter.core.measurements import MeasureKey, Measurement
from promoter.core.model import EventKind, Pipeline
from promoter.core.runs import ChangeRun, ChangeState, GateRun, GateState, StageState
from promoter.core.strategies import AnalysisStep, Background, Rolling, SetWeight
from promoter.core.templates import Analysis, Arg, Metric, Phase, Prometheus, Template
from promoter.core.walk import Walk
from tests.core.builders import (
    BG_FACTS,
    BG_PIPELINE,
    PIPELINE,
    PROD_FACTS,
    STAGING_FACTS,
    at,
    change,
    gate,
    key,
    promotion,
    snap,
    stage_run,
)
from tests.core.test_decide import PROD, STAGING_DEPLOYED, apps, carried, kinds

QUERY = 'sum(rate(ok{w="{{args.workload}}"}[1m])) / sum(rate(all{w="{{args.workload}}"}[1m]))'
METRIC = Metric(
    "success-rate",
    Prometheus("http://127.0.0.1:9090", QUERY),
    interval=dt.timedelta(seconds=10),
    count=2,
    success=conditions.parse("result[0] >= 0.95"),
)
TEMPLATE = Template("success-rate", (METRIC,), args=(Arg("workload"),))
ANALYSIS = Analysis((TEMPLATE,), args=(("workload", "{{stable}}"),), scrape_interval=dt.timedelta(seconds=5))
ROLLING = dataclasses.replace(PIPELINE.stage(0), strategy=Rolling(analysis=ANALYSIS))
ANALYSED = Pipeline("guestbook", (ROLLING,))
RUN = "0:1"

# the staging change is verified at 30 s; the analysis gate (item 1) starts then
done = change(ChangeState.DONE, verified_at=at(30))
waiting = gate(1, started_at=at(30))
READY = at(30 + 60 + 5)  # the query's [1m] and one scrape after the verification


def measured(*values: float | None, run: str = RUN, metric: str = "success-rate") -> tuple[Measurement, ...]:
    return tuple(
        Measurement(
            MeasureKey(run, metric, n), READY + dt.timedelta(seconds=10 * n), value=(v,) if v is not None else ()
        )
        for n, v in enumerate(values)
    )


def at_gate(now: float, *ms: Measurement, run: object = waiting, **fields: object) -> Decision:
    snapshot = snap(now, done, run, apps=apps(), deployed=STAGING_DEPLOYED, measurements=ms, **fields)  # type: ignore[arg-type]
    return decide(ANALYSED, promotion(step=1, **fields.pop("promo", {})), snapshot)  # type: ignore[arg-type]


def statuses(decision: Decision) -> list[tuple[str, StatusState]]:
    return [(a.context, a.state) for a in decision.actions if isinstance(a, SetStatus)]


def test_the_plan_has_the_analysis_gate_after_the_version_with_the_promotion_values() -> None:
    walked = plans.build(ROLLING, "1.5.0", STAGING_FACTS)
    kinds_of = [getattr(i, "kind", None) for i in walked.items]
    assert kinds_of == [plans.ChangeKind.VERSION, plans.GateKind.ANALYSIS, plans.GateKind.SOAK]
    analysis_gate = walked.items[1]
    assert isinstance(analysis_gate, plans.Gate)
    assert ROLLING.targets[0].ref.whole_file
    file = "envs/staging/deploy.yaml"  # a whole-file target names no workload: its file stands for it
    assert dict(analysis_gate.values) == {"version": "1.5.0", "stage": "staging", "canary": file, "stable": file}
    assert analysis_gate.label == "analysis success-rate"


def test_needs_asks_for_the_first_measurement_when_fresh_data_is_there() -> None:
    walked_runs = {0: done, 1: waiting}
    asked = needs.needs(ANALYSED, promotion(step=1), stage_run(0), walked_runs)
    (request,) = asked.measure
    assert request.key == MeasureKey(RUN, "success-rate", 0)
    assert request.due == READY
    assert request.provider.query.startswith('sum(rate(ok{w="envs/staging/deploy.yaml"}[1m]))')
    assert asked.apps == ("guestbook-staging",)  # the stage stays verified while it analyses
    after = needs.needs(ANALYSED, promotion(step=1), stage_run(0), walked_runs, measured(0.99))
    assert [r.key.index for r in after.measure] == [1]
    assert needs.needs(ANALYSED, promotion(step=1), stage_run(0), walked_runs, measured(0.99, 0.99)).measure == ()


def test_needs_asks_nothing_when_the_plan_cannot_be_built_or_the_stage_is_not_running() -> None:
    reverting = stage_run(0, StageState.REVERTING)
    assert needs.needs(ANALYSED, promotion(step=1), reverting, {0: done, 1: waiting}).measure == ()
    broken = dataclasses.replace(ANALYSIS, args=())  # {{args.workload}} has no value
    pipeline = Pipeline("guestbook", (dataclasses.replace(ROLLING, strategy=Rolling(analysis=broken)),))
    assert needs.needs(pipeline, promotion(step=1), stage_run(0), {0: done, 1: waiting}).measure == ()
    stuck = dataclasses.replace(PIPELINE.stage(1), strategy=BG_PIPELINE.stage(0).strategy)
    assert needs.needs(Pipeline("g", (stuck,)), promotion(step=1), stage_run(0, facts=PROD_FACTS), {}).measure == ()


ROWS = {
    "before the first measurement: wait for it": (
        at_gate(40),
        [],
        [],
        READY,
    ),
    "a new measurement: the table on the PR, told once": (
        at_gate(100, *measured(0.99)),
        ["Comment", "Record"],
        [],
        READY + dt.timedelta(seconds=10),
    ),
    "told already: wait for the next": (
        at_gate(100, *measured(0.99), run=dataclasses.replace(waiting, told=1)),
        [],
        [],
        READY + dt.timedelta(seconds=10),
    ),
    "successful: the verdict on the merge and the gate passes": (
        at_gate(110, *measured(0.99, 0.97)),
        ["SetStatus", "Comment", "Record"],
        [(evaluation.CONTEXT, StatusState.SUCCESS)],
        None,
    ),
    # (the promotion's last change: its PR was opened without the pipeline's labels, which come with the outcome)
    "failed: the stage is rolled back, the verdict on the merge": (
        at_gate(110, *measured(0.99, 0.5)),
        ["SetStatus", "SetStatus", "Label", "Comment", "Record"],
        [(evaluation.CONTEXT, StatusState.FAILURE), ("promoter", StatusState.FAILURE)],
        None,
    ),
    "inconclusive: a person decides": (
        at_gate(100, *measured(None)),
        ["SetStatus", "Comment", "Record"],
        [(evaluation.CONTEXT, StatusState.PENDING)],
        None,
    ),
    "inconclusive and told: nothing more": (
        at_gate(100, *measured(None), run=dataclasses.replace(waiting, verdict="Inconclusive")),
        [],
        [],
        None,
    ),
}


@pytest.mark.parametrize(("decision", "names", "status", "wake"), ROWS.values(), ids=ROWS.keys())
def test_an_analysis_gate(
    decision: Decision, names: list[str], status: list[tuple[str, StatusState]], wake: dt.datetime | None
) -> None:
    assert kinds(decision) == names
    assert statuses(decision) == status
    if wake is not None:
        assert decision.wake_at == wake


def test_the_table_and_the_failure_reason_show_the_measurements() -> None:
    failed = at_gate(110, *measured(0.99, 0.5))
    (comment,) = [a for a in failed.actions if isinstance(a, Comment)]
    assert "| success-rate | [0.99]: result[0] >= 0.95 ✓, [0.5]: not result[0] >= 0.95 ✗ |" in comment.body
    record = next(a for a in failed.actions if isinstance(a, Record))
    assert record.changes.stage is not None
    assert record.changes.stage.failure == (
        "analysis success-rate failed: success-rate Failed ([0.5]: not result[0] >= 0.95)"
    )


def test_an_analysis_that_cannot_run_fails_the_stage() -> None:
    broken = dataclasses.replace(ANALYSIS, args=())
    pipeline = Pipeline("guestbook", (dataclasses.replace(ROLLING, strategy=Rolling(analysis=broken)),))
    snapshot = snap(40, done, waiting, apps=apps(), deployed=STAGING_DEPLOYED)
    decision = decide(pipeline, promotion(step=1), snapshot)
    record = next(a for a in decision.actions if isinstance(a, Record))
    assert record.changes.stage is not None
    assert record.changes.stage.state is StageState.REVERTING
    assert "has no value" in (record.changes.stage.failure or "")


def test_after_a_change_with_nothing_to_change_the_gate_measures_from_its_start_and_tells_no_pr() -> None:
    skipped = ChangeRun(key(0), ChangeState.DONE, skipped=True)  # the version was in Git already: no PR, no merge
    asked = needs.needs(ANALYSED, promotion(step=1), stage_run(0), {0: skipped, 1: waiting})
    assert [r.due for r in asked.measure] == [at(30)]  # no change to wait for: from the gate's start
    ms = tuple(Measurement(MeasureKey(RUN, "success-rate", n), at(30 + 10 * n), value=(0.99,)) for n in range(2))
    decision = decide(ANALYSED, promotion(step=1), snap(60, skipped, waiting, measurements=ms))
    assert kinds(decision) == ["Record"]  # passed; no merge commit for the status, no PR for the table
    assert next(a for a in decision.actions if isinstance(a, Record)).changes.runs[0].state is GateState.PASSED


def test_promote_ends_a_waiting_analysis() -> None:
    command = Command(1, "guestbook", promotion().id, CommandKind.PROMOTE, "cli:alice", at(0))
    snapshot = snap(100, done, waiting, apps=apps(), deployed=STAGING_DEPLOYED, commands=(command,))
    decision = decide(ANALYSED, promotion(step=1), snapshot)
    record = next(a for a in decision.actions if isinstance(a, Record))
    assert record.changes.runs[0].state is GateState.PASSED


# a canary's background run ----------------------------------------------------------------------------

CANARY = PIPELINE.stage(1)
assert isinstance(CANARY.strategy, strategies.Canary)
BACKGROUND = dataclasses.replace(CANARY.strategy, background=Background(ANALYSIS, starting_step=0))
BG_CANARY = Pipeline("guestbook", (PIPELINE.stage(0), dataclasses.replace(CANARY, strategy=BACKGROUND)))
BG_RUN = "1:background"
canary_done = change(ChangeState.DONE, 0, 1, verified_at=at(30))
weight_done = change(ChangeState.DONE, 1, 1, verified_at=at(30))
bg_started = dataclasses.replace(gate(evaluation.BACKGROUND, stage=1), started_at=at(30))


def in_canary(now: float, step: int, *runs: object, **fields: object) -> Decision:
    deployed = {"m" * 40: carried(BG_CANARY, 1, step)}
    snapshot = snap(
        now,
        *runs,
        stage=stage_run(1),
        stage_index=1,
        apps=apps(*PROD),
        deployed=deployed,
        **fields,  # type: ignore[arg-type]
    )
    return decide(BG_CANARY, promotion(stage=1, step=step), snapshot)


def test_the_background_run_spans_the_canary_steps() -> None:
    walked = plans.build(BG_CANARY.stage(1), "1.5.0", PROD_FACTS)
    assert walked.background is not None
    assert (walked.background.start, walked.background.end) == (1, 5)  # from 20% to the stable change
    assert dict(walked.background.values)["canary"] == "guestbook-canary"
    late = dataclasses.replace(BACKGROUND, background=Background(ANALYSIS, starting_step=9))
    assert plans.build(dataclasses.replace(CANARY, strategy=late), "1.5.0", PROD_FACTS).background.end == 5  # type: ignore[union-attr]


def test_the_background_run_starts_when_the_walk_reaches_its_step() -> None:
    decision = in_canary(30, 1, canary_done)
    record = next(a for a in decision.actions if isinstance(a, Record))
    (started,) = record.changes.runs
    assert started.key.item == evaluation.BACKGROUND
    assert record.changes.events[0].kind is EventKind.GATE_STARTED
    assert evaluation.background(_walk_at(0)) == (Decision(), False)  # before its step: the canary change walks


def test_a_running_background_run_goes_with_the_items_decision() -> None:
    ms = measured(0.99, run=BG_RUN)
    decision = in_canary(100, 2, canary_done, weight_done, bg_started, measurements=ms)
    assert kinds(decision) == ["Comment", "Record", "Record"]  # the table (told once), and the pause starts
    assert "| success-rate | [0.99]: result[0] >= 0.95 ✓ |" in next(
        a.body for a in decision.actions if isinstance(a, Comment)
    )
    told = dataclasses.replace(bg_started, told=1)
    next_one = READY + dt.timedelta(seconds=10)
    in_pause = gate(2, stage=1, started_at=at(90))
    assert evaluation.background(_walk_at(2, canary_done, weight_done, told, measurements=ms)) == (
        Decision((), next_one),
        False,
    )
    quiet = in_canary(100, 2, canary_done, weight_done, told, in_pause, measurements=ms)
    assert kinds(quiet) == [] and quiet.wake_at is not None and quiet.wake_at <= next_one  # or the pause's look


def _asked(step: int, *runs: ChangeRun | GateRun, pipeline: Pipeline = BG_CANARY) -> tuple[analysis.Request, ...]:
    walked_runs = {r.key.item: r for r in runs}
    return needs.needs(pipeline, promotion(stage=1, step=step), stage_run(1), walked_runs).measure


def test_the_background_run_measures_once_its_starting_change_is_done() -> None:
    # it starts with the walk at its first step, the 20% weight, and measures once that weight is in effect:
    # while the weight's PR waits, the canary takes no traffic and every measurement would say so
    for weight in (change(ChangeState.OPEN, 1, 1), change(ChangeState.MERGED, 1, 1)):
        assert _asked(1, canary_done, weight, bg_started) == ()
        assert evaluation.background(_walk_at(1, canary_done, weight, bg_started)) == (Decision(), False)
    verified = dataclasses.replace(weight_done, verified_at=at(200))
    (request,) = _asked(1, canary_done, verified, bg_started)
    assert (request.key, request.due) == (MeasureKey(BG_RUN, "success-rate", 0), at(200 + 60 + 5))
    assert _asked(2, canary_done, verified, bg_started) == (request,)
    # a starting step that is a gate (the pause): measured from the change before it
    at_pause = dataclasses.replace(BACKGROUND, background=Background(ANALYSIS, starting_step=1))
    pipeline = Pipeline("guestbook", (PIPELINE.stage(0), dataclasses.replace(CANARY, strategy=at_pause)))
    (request,) = _asked(2, canary_done, verified, bg_started, pipeline=pipeline)
    assert request.due == at(200 + 60 + 5)


def test_a_failed_background_run_fails_the_stage() -> None:
    runs = (canary_done, weight_done, bg_started)
    decision = in_canary(120, 2, *runs, measurements=measured(0.99, 0.2, run=BG_RUN))
    record = next(a for a in decision.actions if isinstance(a, Record))
    assert record.changes.stage is not None
    assert record.changes.stage.state is StageState.REVERTING


def test_an_inconclusive_background_run_waits_for_promote() -> None:
    runs = (canary_done, weight_done, bg_started)
    ms = measured(None, run=BG_RUN)
    decision = in_canary(120, 2, *runs, measurements=ms)
    assert "Comment" in kinds(decision)
    record = next(a for a in decision.actions if isinstance(a, Record))
    held = record.changes.runs[0]
    assert held.key.item == evaluation.BACKGROUND
    assert in_canary(120, 2, canary_done, weight_done, held, measurements=ms).actions == ()
    promote = Command(1, "guestbook", promotion().id, CommandKind.PROMOTE, "cli:alice", at(0))
    accepted = in_canary(120, 2, canary_done, weight_done, held, measurements=ms, commands=(promote,))
    accepted_record = next(a for a in accepted.actions if isinstance(a, Record))
    assert accepted_record.changes.runs[0].state is GateState.PASSED
    passed = dataclasses.replace(held, state=GateState.PASSED)
    assert evaluation.background(_walk_at(2, canary_done, weight_done, passed))[1] is False


def _walk_at(step: int, *runs: object, pipeline: Pipeline = BG_CANARY, **fields: object) -> Walk:
    walked = plans.build(pipeline.stage(1), "1.5.0", PROD_FACTS)
    snapshot = snap(200, *runs, stage=stage_run(1), stage_index=1, **fields)  # type: ignore[arg-type]
    return Walk(pipeline, promotion(stage=1, step=step), snapshot, pipeline.stage(1), stage_run(1), walked)


STABLE_STEP = 5  # the stable change: the background run ends there
ENDS = {
    "every measurement taken: it passes": (measured(0.99, 0.99, run=BG_RUN), StatusState.SUCCESS, GateState.PASSED),
    "ended before its count: what it measured": (measured(0.99, run=BG_RUN), StatusState.SUCCESS, GateState.PASSED),
    "ended before any measurement: a person decides": ((), StatusState.PENDING, GateState.WAITING),
    "a failure at the end: the stage fails": (measured(0.99, 0.2, run=BG_RUN), StatusState.FAILURE, None),
}


@pytest.mark.parametrize(("ms", "status", "state"), ENDS.values(), ids=ENDS.keys())
def test_the_background_run_is_judged_at_the_stable_change(
    ms: tuple[Measurement, ...], status: StatusState, state: GateState | None
) -> None:
    w = _walk_at(STABLE_STEP, canary_done, weight_done, bg_started, measurements=ms)
    decided, blocks = evaluation.background(w)
    assert blocks  # the stable change waits for the verdict's record (or a person, or the revert)
    assert statuses(decided)[0] == (evaluation.CONTEXT, status)
    record = next(a for a in decided.actions if isinstance(a, Record))
    if state is None:
        assert record.changes.stage is not None and record.changes.stage.state is StageState.REVERTING
    else:
        assert record.changes.runs[0].state is state
    (comment,) = [a for a in decided.actions if isinstance(a, Comment)]
    assert comment.number == 7  # on the latest merged change's PR: the 20% weight's


def test_a_background_run_done_early_is_accepted_at_the_stable_change() -> None:
    ms = measured(0.99, 0.99, run=BG_RUN)
    assert evaluation.background(_walk_at(2, canary_done, weight_done, bg_started, measurements=ms)) == (
        Decision(),
        False,
    )
    decided, blocks = evaluation.background(
        _walk_at(STABLE_STEP, canary_done, weight_done, bg_started, measurements=ms)
    )
    assert blocks and statuses(decided) == [(evaluation.CONTEXT, StatusState.SUCCESS)]


def test_a_background_run_that_cannot_run_fails_the_stage() -> None:
    broken = Background(dataclasses.replace(ANALYSIS, args=()), starting_step=0)
    strategy = dataclasses.replace(BACKGROUND, background=broken)
    pipeline = Pipeline("guestbook", (PIPELINE.stage(0), dataclasses.replace(CANARY, strategy=strategy)))
    decided, blocks = evaluation.background(_walk_at(2, canary_done, weight_done, bg_started, pipeline=pipeline))
    record = next(a for a in decided.actions if isinstance(a, Record))
    assert blocks and record.changes.stage is not None and record.changes.stage.state is StageState.REVERTING
    assert "background analysis success-rate cannot run: " in (record.changes.stage.failure or "")
    assert "has no value" in (record.changes.stage.failure or "")


def test_the_background_run_ends_before_the_stable_change() -> None:
    runs = [canary_done, weight_done, bg_started]
    stable_open = change(ChangeState.OPEN, STABLE_STEP, 1, pr_number=9)
    assert evaluation.background(_walk_at(STABLE_STEP, *runs, stable_open)) == (Decision(), False)
    assert evaluation.background(_walk_at(STABLE_STEP + 1, *runs)) == (Decision(), False)


def test_a_background_run_accepted_or_past_the_stable_change_measures_no_more() -> None:
    assert [r.key.run for r in _asked(2, canary_done, weight_done, bg_started)] == [BG_RUN]
    assert _asked(2, canary_done, weight_done, dataclasses.replace(bg_started, state=GateState.PASSED)) == ()
    assert _asked(STABLE_STEP, canary_done, weight_done, bg_started) == ()  # ended: its result is what it measured
    assert _asked(STABLE_STEP + 1, canary_done, weight_done, bg_started) == ()


# blue/green and canary steps -------------------------------------------------------------------------


def test_blue_green_analyses_before_and_after_the_switch() -> None:
    strategy = BG_PIPELINE.stage(0).strategy
    assert isinstance(strategy, strategies.BlueGreen)
    both = dataclasses.replace(strategy, pre_promotion_analysis=ANALYSIS, post_promotion_analysis=ANALYSIS)
    walked = plans.build(dataclasses.replace(BG_PIPELINE.stage(0), strategy=both), "1.5.0", BG_FACTS)
    labels = [i.label for i in walked.items]
    switch = next(i for i, item in enumerate(walked.items) if getattr(item, "kind", None) is plans.ChangeKind.SWITCH)
    assert labels[switch - 2] == "analysis success-rate"  # before the pre-promotion pause and the switch
    assert labels[switch + 1] == "analysis success-rate"
    gate_values = dict(walked.items[switch + 1].values)  # type: ignore[union-attr]
    assert (gate_values["canary"], gate_values["stable"]) == ("guestbook-green", "guestbook-blue")
    assert strategies.analyses(both) == (ANALYSIS, ANALYSIS)


def test_a_canary_analysis_step_is_a_gate() -> None:
    steps = (SetWeight(20), AnalysisStep(ANALYSIS))
    canary = dataclasses.replace(BACKGROUND, steps=steps)
    walked = plans.build(dataclasses.replace(CANARY, strategy=canary), "1.5.0", PROD_FACTS)
    assert [getattr(i, "kind", None) for i in walked.items][:3] == [
        plans.ChangeKind.CANARY,
        plans.ChangeKind.WEIGHT,
        plans.GateKind.ANALYSIS,
    ]
    assert strategies.analyses(canary) == (ANALYSIS, ANALYSIS)
    assert strategies.analyses(Rolling()) == ()


FAST = dt.timedelta(seconds=15)
STRATEGIES = {
    "rolling": Rolling(analysis=ANALYSIS),
    "rolling without analysis": Rolling(),
    "canary: steps and background": dataclasses.replace(BACKGROUND, steps=(SetWeight(20), AnalysisStep(ANALYSIS))),
    "canary without analysis": CANARY.strategy,
    "blue/green": dataclasses.replace(
        BG_PIPELINE.stage(0).strategy, pre_promotion_analysis=ANALYSIS, post_promotion_analysis=ANALYSIS
    ),
    "blue/green without analysis": BG_PIPELINE.stage(0).strategy,
}


@pytest.mark.parametrize("strategy", STRATEGIES.values(), ids=STRATEGIES.keys())
def test_every_analysis_of_a_strategy_reads_at_the_configured_scrape_interval(strategy: strategies.Strategy) -> None:
    moved = strategies.with_analysis_settings(strategy, FAST)
    assert [a.scrape_interval for a in strategies.analyses(moved)] == [FAST] * len(strategies.analyses(strategy))
    assert strategies.analyses(moved) == tuple(
        dataclasses.replace(a, scrape_interval=FAST) for a in strategies.analyses(strategy)
    )
    assert type(moved) is type(strategy) and strategies.name(moved) == strategies.name(strategy)


@pytest.mark.parametrize("strategy", STRATEGIES.values(), ids=STRATEGIES.keys())
def test_an_address_in_the_settings_replaces_every_templates(strategy: strategies.Strategy) -> None:
    moved = strategies.with_analysis_settings(strategy, FAST, "https://prometheus.example.com")
    metrics = [m for a in strategies.analyses(moved) for m in a.metrics]
    assert {m.provider.address for m in metrics} <= {"https://prometheus.example.com"}
    assert len(metrics) == sum(len(a.metrics) for a in strategies.analyses(strategy))
    # only the address changes: the queries, conditions and the rest are the template's
    before = [m for a in strategies.analyses(strategy) for m in a.metrics]
    assert [dataclasses.replace(m, provider=dataclasses.replace(m.provider, address="x")) for m in metrics] == [
        dataclasses.replace(m, provider=dataclasses.replace(m.provider, address="x")) for m in before
    ]


def test_the_status_table_marks_dry_runs_and_long_runs() -> None:
    plain = dataclasses.replace(METRIC, provider=Prometheus("http://p", "up"))
    dry = dataclasses.replace(plain, name="dry", dry_run=True, count=None)
    two = Analysis((Template("t", (plain, dry)),))
    ms = tuple(
        Measurement(MeasureKey(RUN, "dry", n), READY + dt.timedelta(seconds=n), value=(0.99 - n / 1000,))
        for n in range(12)
    )
    state = schedule.Active(1, two, {}, at(30), READY).state(0, ms)
    table = evaluation.render_table(state)
    assert "| success-rate | — | `result[0] >= 0.95` | running (0/2) |" in table
    (row,) = [line for line in table.splitlines() if line.startswith("| dry |")]
    assert row.startswith("| dry | … [0.988]: ")  # the last ten of twelve
    assert row.count("✓") == 10
    assert row.endswith("| `result[0] >= 0.95` | running (12) (dry run) |")


def test_the_table_keeps_the_latest_measurements_the_template_retains() -> None:
    kept = dataclasses.replace(METRIC, provider=Prometheus("http://p", "up"), count=5, retention=2)
    state = schedule.Active(1, Analysis((Template("t", (kept,)),)), {}, at(30), READY).state(
        0, tuple(Measurement(MeasureKey(RUN, "success-rate", n), READY, value=(0.99,)) for n in range(5))
    )
    row = evaluation.render_table(state).splitlines()[2]
    assert row.count("✓") == 2 and "… " in row  # all five judged, the latest two shown
    assert state.phase is Phase.SUCCESSFUL
