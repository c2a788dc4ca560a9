"""promoter's Argo CD client against an argocd-server behind its own certificate (the simulator over HTTPS, as
argocd-server serves by default with a self-signed one): verified against ``argocd.ca_file``, skipped with
``argocd.insecure``, and a certificate nothing vouches for is a permanent error that says what to set."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from promoter.adapters.argocd import ArgoCD
from promoter.cli import main, wiring
from promoter.config import loading
from promoter.config.secrets import EnvRef
from promoter.config.settings import ArgoCDSettings
from promoter.core.appstatus import SyncStatus
from promoter.errors import PermanentError
from promoter.sandbox.argocd import Simulator, create_app
from promoter.serving import Server
from tests.certificates import self_signed
from tests.config import configdir
from tests.gitops.test_discovery import CLUSTER_SET
from tests.sandbox_argocd.conftest import CREDENTIALS


@pytest.fixture
def served(simulator: Simulator, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(URL, its CA file): the simulator over HTTPS with a certificate signed by itself."""
    cert, key = self_signed(tmp_path, "argocd")
    with Server(create_app(simulator, CREDENTIALS), tls=(cert, key)) as server:
        yield server.url, cert


def settings(url: str, insecure: bool = False, ca_file: Path | None = None) -> ArgoCDSettings:
    return ArgoCDSettings(url, EnvRef("PROMOTER_ARGOCD_TOKEN"), dt.timedelta(seconds=5), insecure, ca_file)


def client(url: str, insecure: bool = False, ca_file: Path | None = None) -> ArgoCD:
    return ArgoCD(url, CREDENTIALS.token, 5, wiring.argocd_tls(settings(url, insecure, ca_file)))


def test_the_server_speaks_https(served: tuple[str, Path]) -> None:
    assert served[0].startswith("https://127.0.0.1:")


def test_verified_against_the_ca_file(served: tuple[str, Path]) -> None:
    url, cert = served
    with client(url, ca_file=cert) as argocd:
        assert argocd.app_status("web-staging", refresh=False).sync is SyncStatus.SYNCED


def test_insecure_skips_the_check(served: tuple[str, Path]) -> None:
    with client(served[0], insecure=True) as argocd:
        assert argocd.app_status("web-staging", refresh=False).sync is SyncStatus.SYNCED


def test_a_certificate_nothing_vouches_for_is_permanent_and_says_what_to_set(
    served: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with client(served[0]) as argocd, pytest.raises(PermanentError) as caught:
        argocd.app_status("web-staging", refresh=False)
    message = str(caught.value)
    assert "TLS failed: self-signed certificate" in message
    assert "argocd.ca_file" in message and "argocd.insecure" in message
    assert served[0] in message


def test_a_ca_file_that_cannot_be_read_is_refused_before_any_work(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    with pytest.raises(PermanentError, match=re.escape(f"argocd.ca_file: cannot read CA certificates from {missing}")):
        wiring.argocd_tls(settings("https://argocd.example.com", ca_file=missing))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(PermanentError, match=r"argocd\.ca_file: cannot read CA certificates"):
        wiring.argocd_tls(settings("https://argocd.example.com", ca_file=garbage))


def test_the_config_names_the_ca_file_from_its_own_directory(tmp_path: Path) -> None:
    tls = "  ca_file: certs/argocd-ca.pem\n"
    directory = configdir.write(tmp_path, {"promoter.yaml": configdir.SETTINGS + tls})
    argocd = loading.load(directory).settings.argocd
    assert (argocd.ca_file, argocd.insecure) == (directory.resolve() / "certs" / "argocd-ca.pem", False)
    insecure = configdir.write(tmp_path / "other", {"promoter.yaml": configdir.SETTINGS + "  insecure: true\n"})
    assert loading.load(insecure).settings.argocd.insecure


@pytest.mark.parametrize(
    ("flags", "exit_code"),
    [
        (["--argocd-ca-file", "{cert}"], 0),
        (["--argocd-insecure"], 0),
        ([], 1),  # Argo CD could not be asked: said on stderr, with what to set
    ],
)
def test_promoter_apps_checks_the_certificate_as_told(
    served: tuple[str, Path], tmp_path: Path, flags: list[str], exit_code: int
) -> None:
    url, cert = served
    checkout = tmp_path / "checkout"
    (checkout / "sets").mkdir(parents=True)
    (checkout / "sets" / "guestbook.yaml").write_text(CLUSTER_SET)  # its clusters: only Argo CD knows them
    env = {"PROMOTER_ARGOCD_URL": url, "PROMOTER_ARGOCD_TOKEN": CREDENTIALS.token, "SSL_CERT_FILE": None}
    args = ["apps", str(checkout), "--json", *(flag.format(cert=cert) for flag in flags)]
    result = CliRunner().invoke(main.cli, args, env=env, catch_exceptions=False)
    assert result.exit_code == exit_code, result.output
    if exit_code == 0:
        document = json.loads(result.stdout)
        assert [app["name"] for app in document["applications"]] == ["guestbook-in-cluster"]
        assert document["pending"] == []  # Argo CD was asked
    else:
        assert "TLS failed: self-signed certificate" in result.stderr and "--argocd-ca-file" in result.stderr
