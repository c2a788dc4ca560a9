"""A Prometheus behind its own TLS certificate (the real server, ``--web.config.file``): the template's
``insecure`` (Argo Rollouts' field) skips verifying it; without it a certificate no CA vouches for is a
permanent error naming the fix; a private CA is trusted through ``REQUESTS_CA_BUNDLE``, as requests does."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from urllib3.exceptions import InsecureRequestWarning

from promoter.adapters import prometheus as adapter
from promoter.adapters.prometheus import PrometheusMetrics
from promoter.core.templates import Prometheus
from promoter.errors import PermanentError
from promoter.sandbox.prometheus import PrometheusServer, backfill
from tests.certificates import self_signed
from tests.prometheus.conftest import POINTS, history


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory, base: dt.datetime) -> Iterator[tuple[PrometheusServer, Path]]:
    workdir = tmp_path_factory.mktemp("prometheus-tls")
    backfill(workdir, history(base))
    cert, key = self_signed(workdir, "prometheus")
    with PrometheusServer(workdir, tls=(cert, key)) as running:
        yield running, cert


def test_the_server_speaks_https(tls_server: tuple[PrometheusServer, Path]) -> None:
    assert tls_server[0].url.startswith("https://127.0.0.1:")


def test_insecure_skips_verifying_the_certificate(
    tls_server: tuple[PrometheusServer, Path], metrics: PrometheusMetrics, base: dt.datetime
) -> None:
    provider = Prometheus(address=tls_server[0].url, query="", timeout=dt.timedelta(seconds=5), insecure=True)
    assert metrics.query(provider, "level", base) == (float(POINTS - 1),)


def test_a_certificate_no_ca_vouches_for_is_permanent_and_names_the_fix(
    tls_server: tuple[PrometheusServer, Path],
    metrics: PrometheusMetrics,
    base: dt.datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    provider = Prometheus(address=tls_server[0].url, query="", timeout=dt.timedelta(seconds=5))
    with pytest.raises(PermanentError, match=r"TLS failed \(check the certificate, or set insecure\)") as caught:
        metrics.query(provider, "level", base)
    assert tls_server[0].url in str(caught.value)


def test_a_private_ca_is_trusted_through_requests_ca_bundle(
    tls_server: tuple[PrometheusServer, Path], base: dt.datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, cert = tls_server
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    provider = Prometheus(address=server.url, query="", timeout=dt.timedelta(seconds=5))
    with PrometheusMetrics({}.__getitem__) as metrics:  # a client of its own: sessions read the bundle per request
        assert metrics.query(provider, "level", base) == (float(POINTS - 1),)
    assert not provider.insecure  # verified, against the bundle


def test_only_an_insecure_hosts_warning_is_silenced() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        adapter._unverified_is_meant("https://10.0.0.1:9090")
        for host in ("10.0.0.1", "10.0.0.2"):
            warnings.warn(
                f"Unverified HTTPS request is being made to host '{host}'. ...", InsecureRequestWarning, stacklevel=1
            )
    assert [str(w.message) for w in caught] == ["Unverified HTTPS request is being made to host '10.0.0.2'. ..."]
