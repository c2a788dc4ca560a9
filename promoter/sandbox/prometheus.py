"""A real Prometheus on loopback: for the tests, the demo and ``promoter sandbox up``.

The Debian package ``prometheus`` provides the server and ``promtool``; its systemd service is not used: each
:class:`PrometheusServer` is a process of its own, with its own config, data directory and port. History is
written before the start with :func:`backfill` (``promtool tsdb create-blocks-from openmetrics``): the blocks
land in the data directory, and Prometheus loads them when it starts. Queries then read them at fixed past
timestamps, as long as they are within the retention (30 days here).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import httpx

_DEBIAN = Path("/usr/bin")
_READY_TIMEOUT = 30.0  # a cold start (WAL replay of a small data dir) takes well under a second
_STOP_TIMEOUT = 10.0  # SIGTERM: Prometheus flushes the head and exits in about a second
_BACKFILL_TIMEOUT = 60.0


def _binary(name: str) -> str | None:
    """The Debian package's binary, else one on PATH."""
    debian = _DEBIAN / name
    if debian.is_file() and os.access(debian, os.X_OK):
        return str(debian)
    return shutil.which(name)


def installed() -> bool:
    """Whether both ``prometheus`` and ``promtool`` are there (the Debian package ``prometheus``)."""
    return _binary("prometheus") is not None and _binary("promtool") is not None


def _need(name: str) -> str:
    found = _binary(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed (the Debian package 'prometheus': scripts/system-packages)")
    return found


def free_port() -> int:
    """A port free on 127.0.0.1 now (the kernel's pick for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def backfill(workdir: Path, openmetrics: str) -> None:
    """Write history into ``workdir/data`` as TSDB blocks; call it before :meth:`PrometheusServer.start`.

    ``openmetrics`` is OpenMetrics text: ``# TYPE`` lines, then samples ``name{labels} value timestamp`` with the
    timestamp in *seconds* (floats allowed; not milliseconds as in the Prometheus text format), and ``# EOF``
    as the last line (promtool refuses the text without it). Samples must lie within the server's retention
    (30 days), else Prometheus drops the blocks. Each call adds blocks: call it once per time range.
    """
    data = workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    source = workdir / "backfill.om"
    source.write_text(openmetrics if openmetrics.endswith("\n") else openmetrics + "\n")
    command = [_need("promtool"), "tsdb", "create-blocks-from", "openmetrics", str(source), str(data)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=_BACKFILL_TIMEOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"promtool could not backfill {source}: {(done.stderr or done.stdout).strip()}")


class PrometheusServer:
    """A ``prometheus`` process on ``127.0.0.1``, its files under ``workdir`` (config, ``data/``, the log).

    It scrapes the ``host:port`` targets in ``scrape`` (job ``traffic``) every ``scrape_interval``. With
    ``tls`` (a certificate file and its key, PEM) it serves HTTPS, as a Prometheus behind its own certificate
    does (its ``--web.config.file``). Use as a context manager, or call :meth:`start` and :meth:`stop`; it can
    be started again after a stop, on the same port and data directory (what was stored survives).
    """

    def __init__(
        self,
        workdir: Path,
        *,
        scrape: Sequence[str] = (),
        scrape_interval: dt.timedelta = dt.timedelta(seconds=1),
        port: int | None = None,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.workdir = workdir
        self.scrape = tuple(scrape)
        self.scrape_interval = scrape_interval
        self.tls = tls
        # Picked once: a restart keeps the address, so clients holding the URL reach it again.
        self.port = port if port is not None else free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.log = workdir / "prometheus.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Write the config, start the process, wait until ``/-/ready`` answers (bounded)."""
        if self.running:
            return
        binary = _need("prometheus")
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "data").mkdir(exist_ok=True)
        config = self.workdir / "prometheus.yml"
        config.write_text(self._config())
        command = [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--storage.tsdb.retention.time=30d",
        ]
        if self.tls is not None:
            web = self.workdir / "web.yml"
            cert, key = self.tls
            web.write_text(json.dumps({"tls_server_config": {"cert_file": str(cert), "key_file": str(key)}}) + "\n")
            command.append(f"--web.config.file={web}")
        with self.log.open("ab") as log:
            # Its own session: a Ctrl-C meant for the caller's terminal does not reach it (stop() ends it).
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """SIGTERM, wait (bounded), SIGKILL if it is still there."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(_STOP_TIMEOUT)

    def __enter__(self) -> PrometheusServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def _config(self) -> str:
        interval = f"{max(1, round(self.scrape_interval.total_seconds() * 1000))}ms"
        config: dict[str, object] = {"global": {"scrape_interval": interval, "evaluation_interval": interval}}
        if self.scrape:
            config["scrape_configs"] = [{"job_name": "traffic", "static_configs": [{"targets": list(self.scrape)}]}]
        # JSON is YAML: no YAML writer needed for a config this small.
        return json.dumps(config, indent=2) + "\n"

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _READY_TIMEOUT
        # its own certificate is the one to trust (a self-signed one, in the tests)
        verify = ssl.create_default_context(cafile=str(self.tls[0])) if self.tls else True
        with httpx.Client(timeout=1.0, verify=verify) as client:
            while True:
                if self._process is None or self._process.poll() is not None:
                    raise RuntimeError(f"prometheus exited while starting: {self._log_tail()}")
                try:
                    if client.get(f"{self.url}/-/ready").status_code == 200:
                        return
                except httpx.TransportError:
                    pass  # not listening yet
                if time.monotonic() > deadline:
                    raise RuntimeError(f"prometheus on {self.url} not ready after {_READY_TIMEOUT:.0f} s")
                time.sleep(0.05)

    def _log_tail(self, lines: int = 5) -> str:
        try:
            return " | ".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
