"""``promoter apps DIR [--json] [--tree] [--file PATH ...] [--images]``: the Argo CD Applications of a config repo
checkout (what it prints: :mod:`promoter.cli.listing`; the ``--json`` schema: :mod:`promoter.cli.appsjson`).

The command itself reads only its options and the checkout's file list. With ``--images`` it begins the image
scan in a forked child (:mod:`promoter.cli.imagescan`) before it imports the listing, whose modules (the
discovery's, a few tens of milliseconds to import) the child has no use for: they are imported here while the
child scans.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from promoter.cli import imagescan
from promoter.cli.checkoutfiles import CheckoutFiles, image_paths
from promoter.cli.exits import REFUSED


@click.command()
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object, every field (schema in the module docs).")
@click.option("--tree", is_flag=True, help="Who deploys whom: the app-of-apps trees and ApplicationSets.")
@click.option("--file", "paths", multiple=True, metavar="PATH", help="Which Applications deploy PATH (repeatable).")
@click.option(
    "--repo-url",
    "repo_urls",
    multiple=True,
    metavar="URL",
    help="The checkout's repository (default: DIR/.git's remotes; none known: every repoURL is this checkout).",
)
@click.option("--argocd-url", envvar="PROMOTER_ARGOCD_URL", help="Ask this Argo CD (token: $PROMOTER_ARGOCD_TOKEN).")
@click.option("--offline", is_flag=True, help="Never ask Argo CD.")
@click.option(
    "--argocd-ca-file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="PROMOTER_ARGOCD_CA_FILE",
    help="CA certificates (PEM) to verify argocd-server's certificate with.",
)
@click.option("--argocd-insecure", is_flag=True, help="Do not verify argocd-server's certificate.")
@click.option("--new-file-globbing", is_flag=True, help="Git file generators glob as with Argo CD's new globbing.")
@click.option("--images", "with_images", is_flag=True, help="Also every container image reference, with file and line.")
def apps(
    directory: Path,
    as_json: bool,
    tree: bool,
    paths: tuple[str, ...],
    repo_urls: tuple[str, ...],
    argocd_url: str | None,
    offline: bool,
    argocd_ca_file: Path | None,
    argocd_insecure: bool,
    new_file_globbing: bool,
    with_images: bool,
) -> None:
    """The Argo CD Applications found in a config repo checkout, with their sources and where each is defined.

    \b
    Origins: manifest (a file:line no other Application deploys), app-of-apps (deployed by its parent's
    source), applicationset (generated; with its parameters), argocd-api (only Argo CD knows it).
    --json prints {"applications", "applicationSets", "tree", "pending", "problems"} (and "files" with
    --file, "images" with --images); each application has name, namespace, project, origin,
    sources[{repoURL, path, chart, targetRevision, ref, helm{valueFiles}, kustomize, directory}],
    multiSource, hydrator, destination, definedIn{file, line}, generatedBy{applicationSet, params} and
    parent; each image file, doc, line, path, written, name, tag, digest, form and overrides.
    Exit: 0 listed (unreadable files listed as problems), 1 Argo CD could not be asked, 2 DIR is not a
    directory or Applications deploy each other in a cycle.
    """
    if not directory.is_dir():
        click.echo(f"promoter: {directory}: not a directory", err=True)
        sys.exit(REFUSED)
    files = CheckoutFiles(directory)
    scanning = imagescan.Beside(image_paths(files), files.raw) if with_images else None
    with scanning or contextlib.nullcontext():
        from promoter.cli import listing  # noqa: PLC0415 - after the fork: see the module's docs

        asked = listing.Asked(
            directory=directory,
            as_json=as_json,
            tree=tree,
            paths=paths,
            repo_urls=repo_urls,
            argocd_url=argocd_url,
            offline=offline,
            argocd_ca_file=argocd_ca_file,
            argocd_insecure=argocd_insecure,
            new_file_globbing=new_file_globbing,
        )
        code = listing.run(files, asked, scanning)
    if code:
        sys.exit(code)
