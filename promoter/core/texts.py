"""The words promoter writes: PR titles and bodies, comments, commit messages and trailers.

Everything the bot writes carries a hidden marker, so it finds and updates its own text instead of adding
more (DESIGN.md §9).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from promoter.core.actions import FileChange
from promoter.core.markers import Kind, Marker
from promoter.core.model import Pipeline, Promotion
from promoter.core.plan import Change, StagePlan
from promoter.core.windows import WindowState


def marker(
    pipeline: Pipeline, promotion: Promotion, kind: Kind = Kind.STEP, facts: str | None = None, step: int | None = None
) -> Marker:
    """The marker of the current item's PR (of item ``step`` when given; or of the stage's revert)."""
    item = promotion.step if step is None else step
    return Marker(pipeline.name, promotion.id, promotion.version, promotion.stage, item, kind, facts)


def trailers(marker: Marker) -> tuple[tuple[str, str], ...]:
    """The commit trailers: with them the config repo alone tells which promotion made (or reverted) a commit."""
    step = f"{marker.stage}-revert" if marker.kind is Kind.REVERT else f"{marker.stage}-{marker.step}"
    return (
        ("Promoter-Promotion", f"{marker.pipeline}/{marker.promotion}"),
        ("Promoter-Version", marker.version),
        ("Promoter-Step", step),
    )


def step_title(pipeline: Pipeline, promotion: Promotion, plan: StagePlan, change: Change) -> str:
    stage = pipeline.stage(promotion.stage)
    changes = [item for item in plan.items if isinstance(item, Change)]
    title = f"promoter: {pipeline.name} {promotion.version} to {stage.name}"
    return title if len(changes) == 1 else f"{title}: {change.label}"


def revert_title(pipeline: Pipeline, promotion: Promotion) -> str:
    stage = pipeline.stage(promotion.stage)
    return f"promoter: revert {pipeline.name} {promotion.version} in {stage.name}"


def plan_checklist(pipeline: Pipeline, promotion: Promotion, plan: StagePlan) -> str:
    """The stages, and the current stage's items, each ticked when done; this PR's item marked."""
    lines = []
    for index, stage in enumerate(pipeline.stages):
        done = index < promotion.stage
        gates = f"verify {', '.join(stage.applications) or 'the Applications that deploy its files'}"
        if stage.merge.approvals:
            gates += f", {stage.merge.approvals} approval(s)"
        if stage.windows:
            gates += ", merges within its windows"
        lines.append(f"- [{'x' if done else ' '}] **{stage.name}**: {gates}")
        if index != promotion.stage:
            continue
        for position, item in enumerate(plan.items):
            here = " ← this PR" if position == promotion.step else ""
            what = item.label if isinstance(item, Change) else f"_{item.label}_"
            lines.append(f"  - [{'x' if position < promotion.step else ' '}] {what}{here}")
    return "\n".join(lines)


def step_body(
    pipeline: Pipeline, promotion: Promotion, plan: StagePlan, changes: Sequence[FileChange], marker: Marker
) -> str:
    stage = pipeline.stage(promotion.stage)
    files = "\n".join(f"- `{c.path}`" for c in changes)
    first = promotion.step == next(i for i, item in enumerate(plan.items) if isinstance(item, Change))
    policy = _policy(stage.merge.approvals) if first else "at once: the stage's pauses are where it is held"
    if stage.windows:
        policy += "; only inside its promotion windows: " + "; ".join(
            [str(w) for w in stage.windows.windows] + [str(f) for f in stage.windows.freezes]
        )
    return (
        f"Promotes **{pipeline.name}** to `{promotion.version}` in **{stage.name}** "
        f"(stage {promotion.stage + 1} of {len(pipeline.stages)}).\n\n"
        f"### Plan\n{plan_checklist(pipeline, promotion, plan)}\n\n"
        f"### Files\n{files}\n\n"
        f"promoter merges this PR itself when its policy holds ({policy}), then waits until Argo CD reports "
        f"{', '.join(f'`{a}`' for a in stage.applications) or 'every Application that deploys these files'} "
        "Synced and Healthy at the merge commit. "
        "If that fails it reverts every change of this stage.\n\n"
        f"{marker.render()}"
    )


def _policy(approvals: int) -> str:
    return "at once" if approvals == 0 else f"after {approvals} approving review(s)"


def revert_body(
    pipeline: Pipeline, promotion: Promotion, merges: Sequence[tuple[str, int | None]], reason: str, marker: Marker
) -> str:
    stage = pipeline.stage(promotion.stage)
    undone = "\n".join(f"- `{sha[:12]}`" + (f" (#{number})" if number else "") for sha, number in merges)
    return (
        f"Reverts every change of **{pipeline.name}** `{promotion.version}` in **{stage.name}**, newest first:\n\n"
        f"{undone}\n\n**Why:** {reason}\n\n"
        f"The version is now on hold: promoter will not promote it again until `promoter retry {pipeline.name}` "
        "lifts the hold (or a newer version comes).\n\n"
        f"{marker.render()}"
    )


def status_comment(marker: Marker, title: str, lines: list[str], details: str = "") -> str:
    body = "\n".join(f"- {line}" for line in lines)
    more = f"{details}\n\n" if details else ""
    return f"**promoter** · {title}\n\n{body}\n\n{more}{marker.status()}"


def commit_message(title: str, body: str) -> str:
    return f"{title}\n\n{body}"


def moment(at: dt.datetime) -> str:
    """A time for people, with its zone: ``2026-12-01 21:03:11 UTC``."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def opening(state: WindowState) -> str:
    """When a closed promotion window opens, for people."""
    return f"opens {moment(state.changes_at)}" if state.changes_at else "no opening within a year"


def blocked_marker(pipeline: str, promotion: str) -> str:
    """The marker of the one comment that says a refused credential stops this promotion (edited in place)."""
    return f"<!-- promoter:blocked {pipeline} {promotion} -->"


def blocked_comment(pipeline: str, promotion: str, message: str, since: dt.datetime) -> str:
    return (
        f"**promoter** · stopped: a credential was refused\n\n"
        f"{message}\n\n"
        f"Since {since:%Y-%m-%d %H:%M:%S %Z}, nothing of {pipeline} moves (no merge, no revert) until a person "
        "fixes the token or its permissions; promoter tries again on every pass and says so here when it can "
        "go on.\n\n"
        f"{blocked_marker(pipeline, promotion)}"
    )


def unblocked_comment(pipeline: str, promotion: str, message: str, since: dt.datetime, now: dt.datetime) -> str:
    return (
        f"**promoter** · going on again\n\n"
        f"~~{message}~~\n\n"
        f"The credential was refused from {since:%Y-%m-%d %H:%M:%S %Z} to {now:%Y-%m-%d %H:%M:%S %Z}; "
        "it works again and the promotion goes on.\n\n"
        f"{blocked_marker(pipeline, promotion)}"
    )
