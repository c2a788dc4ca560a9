"""The sandbox's Prometheus: a real process on loopback, its config, its backfilled history, its restarts."""

from __future__ import annotations

import datetime as dt
import json
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from promoter.sandbox.prometheus import PrometheusServer, backfill, free_port, installed
from tests.prometheus.conftest import POINTS, at, base_time, history

pytestmark = pytest.mark.xdist_group("prometheus")


def instant(url: str, query: str, at: float | None = None) -> list[dict[str, Any]]:
    params = {"query": query} if at is None else {"query": query, "time": str(at)}
    body = httpx.get(f"{url}/api/v1/query", params=params, timeout=5).json()
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def test_installed() -> None:
    assert installed()


def test_the_shared_server_serves_the_backfilled_history(server: PrometheusServer, base: dt.datetime) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert server.running
    assert httpx.get(f"{server.url}/-/ready", timeout=5).status_code == 200
    (level,) = instant(server.url, "level", at(base, POINTS - 1))
    assert level["value"] == [at(base, POINTS - 1), str(POINTS - 1)]
    (first,) = instant(server.url, "level", at(base, 0))
    assert first["value"] == [at(base, 0), "0"]
    assert instant(server.url, "level", at(base, 0) - 3600) == []  # nothing before the history


def test_it_scrapes_its_targets_as_job_traffic(tmp_path: Path) -> None:
    # Prometheus scraping itself: the simplest real target there is.
    port = free_port()
    with PrometheusServer(
        tmp_path, scrape=[f"127.0.0.1:{port}"], scrape_interval=dt.timedelta(milliseconds=200), port=port
    ) as server:
        config = json.loads((tmp_path / "prometheus.yml").read_text())
        assert config["scrape_configs"] == [
            {"job_name": "traffic", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
        ]
        assert config["global"]["scrape_interval"] == "200ms"
        deadline = time.monotonic() + 10
        while not (up := instant(server.url, 'up{job="traffic"}')):
            assert time.monotonic() < deadline, "no scrape within 10 s"
            time.sleep(0.1)
        assert [series["value"][1] for series in up] == ["1"]


def test_no_targets_no_scrape_configs(tmp_path: Path) -> None:
    with PrometheusServer(tmp_path) as server:
        assert "scrape_configs" not in json.loads((tmp_path / "prometheus.yml").read_text())
        assert instant(server.url, "up") == []


def test_a_restart_keeps_the_port_and_the_data(tmp_path: Path) -> None:
    base = base_time()
    backfill(tmp_path, history(base))
    server = PrometheusServer(tmp_path)
    url = server.url
    with server:
        assert instant(url, "level", at(base, 10))
        server.stop()
        assert not server.running
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/-/ready", timeout=1)
        server.start()
        assert server.url == url
        (level,) = instant(url, "level", at(base, 10))
        assert level["value"] == [at(base, 10), "10"]
    assert not server.running
    assert "See you next time" in (tmp_path / "prometheus.log").read_text()  # stopped by SIGTERM, cleanly
    server.stop()  # stopping a stopped server does nothing


def test_a_port_in_use_fails_the_start_quickly(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        server = PrometheusServer(tmp_path, port=taken.getsockname()[1])
        began = time.monotonic()
        with pytest.raises(RuntimeError, match=r"prometheus exited while starting: .*address already in use"):
            server.start()
        assert time.monotonic() - began < 10
        assert not server.running


def test_backfill_refuses_text_without_eof(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="does not end with # EOF"):
        backfill(tmp_path, "# TYPE level gauge\nlevel 1 1700000000\n")


def test_backfill_adds_blocks(tmp_path: Path) -> None:
    base = base_time()
    backfill(tmp_path, history(base))
    # promtool cuts blocks at 2-hour boundaries: the hour may span two.
    metas = [json.loads(meta.read_text()) for meta in (tmp_path / "data").glob("*/meta.json")]
    assert 1 <= len(metas) <= 2
    assert min(m["minTime"] for m in metas) == at(base, 0) * 1000
    assert max(m["maxTime"] for m in metas) == at(base, POINTS - 1) * 1000 + 1  # maxTime is exclusive
