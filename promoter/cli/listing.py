"""What ``promoter apps DIR [--json] [--tree] [--file PATH ...] [--images]`` prints: the Argo CD Applications of
a config repo checkout.

Reads DIR (``.git`` skipped; every file is listed, for the git directory generator, and only ``.yaml``,
``.yml`` and ``.json`` files are looked into, plus what a kustomization or chart reads), finds the
Applications as :mod:`promoter.gitops.discovery` says (plain manifests, app-of-apps trees, Helm chart roots,
ApplicationSets) and prints one line each, columns cut to the terminal's width (``--json`` has it all).
``--tree`` draws who deploys whom. ``--file`` says which Applications deploy the given files, and why.
``--images`` adds every container image reference of the checkout (:mod:`promoter.gitops.scan`: what
``promoter edit image`` would edit; a chart's ``templates/`` left out, Helm renders those), after the view.

Argo CD is asked only when ``PROMOTER_ARGOCD_URL`` (or ``--argocd-url``) and ``PROMOTER_ARGOCD_TOKEN`` are
set and ``--offline`` is not given: ``GET /api/v1/applications`` for the children only it knows (those its
tracking label, annotation or ApplicationSet owner reference puts under an Application or ApplicationSet of
the checkout), and ``GET /api/v1/clusters`` when an ApplicationSet needs the cluster list. Read-only.

``--json`` prints one object of a stable schema (:mod:`.appsjson`); a hydrator app lists its dry source in
``sources``. Exit codes: 0 listed (a file that does not parse is a problem, listed, and the others are still
read), 1 Argo CD could not be asked (what the checkout says is still printed), 2 refused: DIR is not a
directory, or Applications deploy each other in a cycle.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from promoter.adapters import tls
from promoter.cli import appsjson, imagescan, terminal
from promoter.cli.checkoutfiles import CheckoutFiles
from promoter.cli.exits import FAILED, REFUSED
from promoter.errors import PromoterError
from promoter.gitops import appsets, discovery, mapping, scan
from promoter.gitops.applications import Source
from promoter.gitops.found import Discovery, Found, Origin, Problem, set_node

if TYPE_CHECKING:
    import ssl

_HEADERS = ("NAME", "NAMESPACE/PROJECT", "ORIGIN", "REPO", "PATH/CHART", "REVISION", "DEFINED IN")
_CAPS = (48, 32, 14, 44, 44, 24, 80)  # no column wider, whatever the content
_FLOORS = (16, 10, 14, 10, 12, 6, 16)  # none narrower, whatever the terminal
_GIVE_WAY = (3, 6, 4, 1, 5, 0)  # the columns that shrink for a narrow terminal, in turn: REPO first, NAME last
_IMAGE_HEADERS = ("IMAGE", "TAG/DIGEST", "FORM", "WHERE", "PATH")
_IMAGE_CAPS = (56, 24, 16, 72, 64)
_IMAGE_FLOORS = (16, 12, 9, 24, 10)
_IMAGE_GIVE_WAY = (4, 1, 0, 3)  # PATH first, then a digest's hex
_REMOTE = re.compile(r"^\s*url\s*=\s*(\S+)", re.MULTILINE)


@dataclasses.dataclass(frozen=True)
class Asked:
    """What ``promoter apps`` was asked: its options."""

    directory: Path
    as_json: bool = False
    tree: bool = False
    paths: tuple[str, ...] = ()
    repo_urls: tuple[str, ...] = ()
    argocd_url: str | None = None
    offline: bool = False
    argocd_ca_file: Path | None = None
    argocd_insecure: bool = False
    new_file_globbing: bool = False


def run(files: CheckoutFiles, asked: Asked, scanning: imagescan.Beside | None = None) -> int:
    """Print what was asked of the checkout's files (and the image scan begun, if any); the exit code."""
    argocd_files = None if scanning is None else scanning.argocd_files()  # (else every file is read to find them)
    checkout = appsets.Checkout(files, asked.repo_urls or _remotes(asked.directory), argocd_files)
    globbing = asked.new_file_globbing
    found = discovery.discover(checkout, new_file_globbing=globbing)
    failure = None
    token = os.environ.get("PROMOTER_ARGOCD_TOKEN")
    url = None if asked.offline or not token else asked.argocd_url
    if url and token:
        try:
            verify = tls.verification(asked.argocd_insecure, asked.argocd_ca_file, "--argocd-ca-file")
            found = _ask_argocd(checkout, found, url, token, verify, globbing)
        except PromoterError as exc:
            failure = str(exc)
    deployed = _deployers(checkout, found, asked.directory, asked.paths) if asked.paths else None
    # What the image scan does not change is written while its child may still be scanning.
    written = (
        {key: appsjson.Written(appsjson.member(value)) for key, value in appsjson.document(found, deployed).items()}
        if asked.as_json
        else {}
    )
    if not asked.as_json and deployed is None and asked.tree:
        _print_tree(found)
    elif not asked.as_json and deployed is None:
        _print_table(found)
    scanned = None if scanning is None else scanning.result()
    if scanned is not None:
        found = _with_problems(found, scanned)
    if asked.as_json:
        written["problems"] = appsjson.Written(appsjson.member(appsjson.problems(found)))
        if scanned is not None:
            written["images"] = appsjson.images(scanned.images)
        click.echo(appsjson.dumps(written))
    elif deployed is not None:
        _print_files(deployed, complete=not (found.pending or found.problems))
    if scanned is not None and not asked.as_json:
        click.echo()
        _print_images(scanned)
    if not asked.as_json:
        _print_notes(found, asked=bool(url and token))
    if failure:
        click.echo(f"promoter: error: {failure}", err=True)
    for cycle in found.cycles:
        click.echo(f"promoter: error: refused: Applications deploy each other: {' -> '.join(cycle)}", err=True)
    return REFUSED if found.cycles else FAILED if failure else 0


def _with_problems(found: Discovery, scanned: scan.Scan) -> Discovery:
    """The discovery with the image scan's problems, but for the files it already has one for."""
    known = {problem.file for problem in found.problems}
    more = tuple(Problem(p.file, p.line, p.reason) for p in scanned.problems if p.file not in known)
    return dataclasses.replace(found, problems=found.problems + more) if more else found


def _remotes(directory: Path) -> tuple[str, ...]:
    """The remote URLs of DIR's own git config, if it is a repository's top (a worktree's ``.git`` is a file)."""
    config = directory / ".git" / "config"
    try:
        return tuple(dict.fromkeys(_REMOTE.findall(config.read_text(encoding="utf-8", errors="replace"))))
    except OSError:
        return ()


def _deployers(
    checkout: appsets.Checkout, found: Discovery, directory: Path, paths: Sequence[str]
) -> dict[str, tuple[mapping.Reason, ...]]:
    changed = [_repository_path(directory, path) for path in paths]
    apps = [f.application for f in found.applications]
    return mapping.deployers(checkout.files, apps, changed, checkout.repo_urls[0] if checkout.repo_urls else None)


def _repository_path(directory: Path, path: str) -> str:
    """A ``--file`` as a repository path: an existing file inside DIR (absolute, or from here), else as given."""
    candidate = Path(path)
    if candidate.is_absolute() or candidate.exists():
        try:
            return candidate.resolve().relative_to(directory.resolve()).as_posix()
        except ValueError:
            pass
    return candidate.as_posix().removeprefix("./")


# --- Argo CD ----------------------------------------------------------------------------------------------


def _ask_argocd(
    checkout: appsets.Checkout, found: Discovery, url: str, token: str, verify: ssl.SSLContext | bool, globbing: bool
) -> Discovery:
    """The discovery again, with the live Applications (and clusters, when an ApplicationSet wants them);
    PromoterError (its message names the URL and the reason, never the token) when Argo CD cannot be asked."""
    from promoter.adapters.argocd import ArgoCD  # noqa: PLC0415  (httpx and pydantic: only when Argo CD is asked)

    with ArgoCD(url, token, verify=verify) as argocd:
        live = argocd.manifests("applications")
        clusters = argocd.manifests("clusters") if any(s.unresolved for s in found.application_sets) else None
    return discovery.discover(checkout, clusters=clusters, live=live, new_file_globbing=globbing)


# --- for people ---------------------------------------------------------------------------------------------


def _print_table(found: Discovery) -> None:
    if not found.applications:
        click.echo("no Argo CD Applications found")
        return
    _print_rows([_HEADERS, *(_row(f) for f in found.applications)], _CAPS, _FLOORS, _GIVE_WAY)


def _print_images(scanned: scan.Scan) -> None:
    if not scanned.images:
        click.echo("no image references found")
        return
    rows = [
        (
            ref.name,
            ":".join(filter(None, (ref.tag, ref.digest))) or "-",
            ref.form.value,
            f"{ref.file}:{ref.line}" + (f" (document {ref.doc})" if ref.doc else ""),
            ref.path,
        )
        for ref in scanned.images
    ]
    _print_rows([_IMAGE_HEADERS, *rows], _IMAGE_CAPS, _IMAGE_FLOORS, _IMAGE_GIVE_WAY)


def _print_rows(
    rows: list[tuple[str, ...]], caps: Sequence[int], floors: Sequence[int], give_way: Sequence[int]
) -> None:
    widths = _fit(
        [max(len(row[i]) for row in rows) for i in range(len(rows[0]))], terminal.width(), caps, floors, give_way
    )
    for row in rows:
        click.echo(
            "  ".join(terminal.cut(cell, width).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _row(found: Found) -> tuple[str, ...]:
    app = found.application
    sources = appsjson.sources(app)
    first = sources[0] if sources else Source({})
    more = f" +{len(sources) - 1}" if len(sources) > 1 else ""
    what = first.chart or first.path or "-"
    return (
        app.name,
        f"{app.namespace}/{app.project}",
        found.origin.value,
        (_short(first.repo_url) if first.repo_url else "-") + more,
        what + more,
        first.target_revision if (first.path or first.chart) else "-",
        _where(found),
    )


def _where(found: Found) -> str:
    at = str(found.defined_in) if found.defined_in else ""
    if found.application_set:
        return f"ApplicationSet {found.application_set}" + (f" ({at})" if at else "")
    if found.origin is Origin.ARGOCD_API:
        return f"Argo CD (under {found.parent})" if found.parent else "Argo CD"
    return at + (f" (under {found.parent})" if found.parent else "")


def _short(url: str) -> str:
    return re.sub(r"^[a-z+]+://", "", url).removesuffix(".git")


def _fit(
    natural: list[int], width: int, caps: Sequence[int], floors: Sequence[int], give_way: Sequence[int]
) -> list[int]:
    """Column widths: each at most its cap, and together (two spaces between) within ``width`` as far as the
    floors allow, the columns giving way in ``give_way`` order."""
    widths = [min(n, cap) for n, cap in zip(natural, caps, strict=True)]
    excess = sum(widths) + 2 * (len(widths) - 1) - width
    for column in give_way:
        if excess <= 0:
            break
        cut = min(excess, max(widths[column] - floors[column], 0))
        widths[column] -= cut
        excess -= cut
    return widths


def _print_tree(found: Discovery) -> None:
    where = {f.name: f for f in found.applications}
    sets = {set_node(s.name): s for s in found.application_sets}
    pending: dict[str, list[str]] = {}
    for item in found.pending:
        pending.setdefault(item.parent, []).append(item.reason)
    children = {child for listed in found.tree.values() for child in listed}
    roots = [f.name for f in found.applications if f.name not in children]
    roots += [node for node in sets if node not in children]
    if not roots:
        click.echo("no Argo CD Applications found")

    def label(node: str) -> str:
        if node in sets:
            s = sets[node]
            return f"{node}  ({s.defined_in})" if s.defined_in else node
        f = where.get(node)
        return f"{node}  ({f.defined_in})" if f and f.defined_in and f.origin is not Origin.APPLICATION_SET else node

    def draw(node: str, prefix: str, last: bool, top: bool) -> None:
        click.echo(label(node) if top else f"{prefix}{'└── ' if last else '├── '}{label(node)}")
        inner = prefix if top else prefix + ("    " if last else "│   ")
        listed = [*found.tree.get(node, ()), *(f"… only Argo CD knows: {r}" for r in pending.get(node, ()))]
        for index, child in enumerate(listed):
            if child.startswith("… "):
                click.echo(f"{inner}{'└── ' if index == len(listed) - 1 else '├── '}{child}")
            else:
                draw(child, inner, index == len(listed) - 1, top=False)

    for root in roots:
        draw(root, "", True, top=True)


def _print_files(deployed: Mapping[str, Sequence[mapping.Reason]], complete: bool) -> None:
    for path, reasons in deployed.items():
        if not reasons and complete:
            click.echo(f"{path}: no Application deploys it")
        elif not reasons:  # an Application only Argo CD knows, or one in a file that was not read, might
            click.echo(f"{path}: no Application found to deploy it, but not every one is known (see the notes)")
        for reason in reasons:
            click.echo(f"{path}: {reason.application} (source {reason.source}): {reason.why}")


def _print_notes(found: Discovery, asked: bool) -> None:
    for problem in found.problems:
        click.echo(f"promoter: warning: {problem}", err=True)
    for item in found.pending:
        how = "" if asked else " (set PROMOTER_ARGOCD_URL and PROMOTER_ARGOCD_TOKEN to ask it)"
        click.echo(f"promoter: note: {item.parent}: children only Argo CD knows: {item.reason}{how}", err=True)
