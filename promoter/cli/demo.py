"""``promoter demo``: the editor at work on an embedded sample file."""

from __future__ import annotations

import importlib.resources
import sys

import click

from promoter.yamledit import diffs, editor, imageedit, traffic
from promoter.yamledit.errors import EditError


def _sample() -> str:
    return importlib.resources.files("promoter").joinpath("samples/editor/app.yaml").read_text(encoding="utf-8")


@click.command()
def demo() -> None:
    """Show minimal-diff edits on an embedded sample config file."""
    text = _sample()
    steps: list[tuple[str, str]] = []
    try:
        image = imageedit.apply(text, imageedit.parse_request("ghcr.io/acme/checkout:1.5.0"), "app.yaml")
        steps.append(("edit image ghcr.io/acme/checkout:1.5.0  (containers and the inline kustomize patch)", image))
        weights = editor.apply(image, traffic.istio_virtual_service(image, 20, stable="stable", canary="canary", doc=1))
        steps.append(("canary 20% on the Istio VirtualService (stable 80 / canary 20)", weights))
        version = editor.apply(weights, [editor.Edit.parse("metadata.labels.version=1.11", doc=0)])
        steps.append(('edit set metadata.labels.version=1.11  (stays the string "1.11")', version))
        refused = "spec.replicas=three"
        try:
            editor.apply(version, [editor.Edit.parse(refused, doc=0)])
        except EditError as exc:
            steps.append((f"edit set {refused}  -> refused: {exc.located('app.yaml')}", version))
    except EditError as exc:
        click.echo(f"promoter demo: {exc.located('app.yaml')}", err=True)
        sys.exit(1)
    previous = text
    for title, after in steps:
        click.secho(f"\n$ promoter {title}", bold=True)
        click.echo(diffs.unified(previous, after, "app.yaml"), nl=False)
        previous = after
    click.echo("\nEvery other byte of the file is unchanged; each result was re-parsed and verified.")
