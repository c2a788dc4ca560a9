"""The words promoter writes: PR titles and bodies, comments, commit messages and trailers.

Everything the bot writes carries a hidden marker, so it finds and updates its own text instead of adding
more (DESIGN.md §9).
"""

from __future__ import annotations

import datetime as dt

from promoter.core.actions import FileChange
from promoter.core.markers import Kind, Marker
from promoter.core.model import Pipeline, Promotion


def marker(pipeline: Pipeline, promotion: Promotion, kind: Kind = Kind.STEP) -> Marker:
    """The marker of the current step's PR (or its revert's)."""
    return Marker(pipeline.name, promotion.id, promotion.version, promotion.stage, promotion.step, kind)


def trailers(marker: Marker) -> tuple[tuple[str, str], ...]:
    """The commit trailers: with them the config repo alone tells which promotion made (or reverted) a commit."""
    step = f"{marker.stage}-{marker.step}" + ("-revert" if marker.kind is Kind.REVERT else "")
    return (
        ("Promoter-Promotion", f"{marker.pipeline}/{marker.promotion}"),
        ("Promoter-Version", marker.version),
        ("Promoter-Step", step),
    )


def step_title(pipeline: Pipeline, promotion: Promotion) -> str:
    stage = pipeline.stage(promotion.stage)
    return f"promoter: {pipeline.name} {promotion.version} to {stage.name}"


def revert_title(pipeline: Pipeline, promotion: Promotion) -> str:
    stage = pipeline.stage(promotion.stage)
    return f"promoter: revert {pipeline.name} {promotion.version} in {stage.name}"


def plan_checklist(pipeline: Pipeline, promotion: Promotion) -> str:
    lines = []
    for index, stage in enumerate(pipeline.stages):
        done = index < promotion.stage
        here = " ← this PR" if index == promotion.stage else ""
        gates = f"verify {', '.join(stage.applications)}"
        if stage.soak:
            gates += f", soak {stage.soak}"
        if stage.merge.approvals:
            gates += f", {stage.merge.approvals} approval(s)"
        lines.append(f"- [{'x' if done else ' '}] **{stage.name}**: {gates}{here}")
    return "\n".join(lines)


def step_body(pipeline: Pipeline, promotion: Promotion, changes: tuple[FileChange, ...]) -> str:
    stage = pipeline.stage(promotion.stage)
    files = "\n".join(f"- `{c.path}`" for c in changes)
    return (
        f"Promotes **{pipeline.name}** to `{promotion.version}` in **{stage.name}** "
        f"(stage {promotion.stage + 1} of {len(pipeline.stages)}).\n\n"
        f"### Plan\n{plan_checklist(pipeline, promotion)}\n\n"
        f"### Files\n{files}\n\n"
        f"promoter merges this PR itself when its policy holds "
        f"({_policy(stage.merge.approvals)}), then waits until Argo CD reports "
        f"{', '.join(f'`{a}`' for a in stage.applications)} Synced and Healthy at the merge commit. "
        "If that fails it reverts this change.\n\n"
        f"{marker(pipeline, promotion).render()}"
    )


def _policy(approvals: int) -> str:
    return "at once" if approvals == 0 else f"after {approvals} approving review(s)"


def revert_body(pipeline: Pipeline, promotion: Promotion, merge_sha: str, reason: str, step_pr: int | None) -> str:
    stage = pipeline.stage(promotion.stage)
    of_pr = f" of #{step_pr}" if step_pr else ""
    return (
        f"Reverts the merge `{merge_sha[:12]}`{of_pr}: **{pipeline.name}** `{promotion.version}` failed in "
        f"**{stage.name}**.\n\n**Why:** {reason}\n\n"
        f"The version is now on hold: promoter will not promote it again until `/retry` or a newer version.\n\n"
        f"{marker(pipeline, promotion, Kind.REVERT).render()}"
    )


def status_comment(marker: Marker, title: str, lines: list[str]) -> str:
    body = "\n".join(f"- {line}" for line in lines)
    return f"**promoter** · {title}\n\n{body}\n\n{marker.status()}"


def commit_message(title: str, body: str) -> str:
    return f"{title}\n\n{body}"


def moment(at: dt.datetime) -> str:
    """A time for people, with its zone: ``2026-12-01 21:03:11 UTC``."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
