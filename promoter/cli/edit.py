"""``promoter edit set`` and ``promoter edit image``: minimal-diff edits of one file."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import click

from promoter.adapters import filesystem
from promoter.cli.exits import FAILED, REFUSED
from promoter.yamledit import diffs, editor, imageedit, paths
from promoter.yamledit.errors import EditError


@click.group()
def edit() -> None:
    """Edit a YAML file in place of a person: only the intended tokens change."""


@edit.command("set")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("assignments", metavar="PATH=VALUE...", nargs=-1, required=True)
@click.option(
    "--doc", type=click.IntRange(min=0), default=None, help="0-based document index in a multi-document file."
)
@click.option("--write", is_flag=True, help="Write the file (atomically) instead of printing the diff.")
@click.option("-U", "--context", type=click.IntRange(min=0), default=1, show_default=True, help="Diff context lines.")
def set_(file: Path, assignments: tuple[str, ...], doc: int | None, write: bool, context: int) -> None:
    """Set scalar values: PATH uses dotted keys, [n], [key=value], ["a.b/c"] and '|' into block scalars.

    VALUE keeps the old value's type and quoting; quote it ('"1.10"') to force a string.
    """

    def change(text: str) -> str:
        try:
            edits = [editor.Edit.parse(a, doc=doc) for a in assignments]
        except paths.PathError as exc:
            raise EditError(str(exc)) from None
        return editor.apply(text, edits)

    _run(file, change, write=write, context=context)


@edit.command("image")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("image", metavar="IMAGE[:TAG|@DIGEST]")
@click.option("--container", default=None, help="Only this container's image.")
@click.option("--write", is_flag=True, help="Write the file (atomically) instead of printing the diff.")
@click.option("-U", "--context", type=click.IntRange(min=0), default=1, show_default=True, help="Diff context lines.")
def image(file: Path, image: str, container: str | None, write: bool, context: int) -> None:
    """Set the tag or digest of every reference to IMAGE's repository in FILE."""

    def change(text: str) -> str:
        request = imageedit.parse_request(image, container)
        return imageedit.apply(text, request, file.name)

    _run(file, change, write=write, context=context)


def _display_name(file: Path) -> str:
    text = os.fspath(file)
    if file.is_absolute():
        try:
            return os.fspath(file.relative_to(Path.cwd()))
        except ValueError:
            return text
    return text.removeprefix("./")


def _run(file: Path, change: Callable[[str], str], *, write: bool, context: int) -> None:
    name = _display_name(file)
    try:
        chart = filesystem.helm_chart_of(file)
        if chart is not None:
            raise EditError(
                f"a Helm template of the chart {chart.name}: not YAML until rendered; edit the chart's values instead"
            )
        before = filesystem.read_text(file)
        after = change(before)
    except EditError as exc:
        click.echo(f"promoter: {exc.located(name)}", err=True)
        sys.exit(REFUSED)
    if write:
        if after != before:
            try:
                filesystem.write_text_atomically(file, after)
            except OSError as exc:
                click.echo(f"promoter: {name}: cannot write: {exc.strerror}", err=True)
                sys.exit(FAILED)
        return
    sys.stdout.buffer.write(diffs.unified(before, after, name, context).encode("utf-8"))
    sys.stdout.buffer.flush()
