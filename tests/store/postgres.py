"""A throwaway PostgreSQL server on loopback for the store's tests: Debian's binaries, fsync off.

As root the server runs as the ``postgres`` system user (initdb refuses root), with its data and socket
directories in a temporary directory that user owns. Each test gets its own schema (a ``search_path`` in
the URL), which is much faster than a database per test.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

DATABASE = "promoter"
START_TIMEOUT = 30.0


@dataclasses.dataclass
class Server:
    port: int
    _schemas: Iterator[int] = dataclasses.field(default_factory=itertools.count)

    def url(self, database: str = DATABASE, driver: str = "postgresql+psycopg", **query: str) -> str:
        suffix = f"?{urllib.parse.urlencode(query)}" if query else ""
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}{suffix}"

    def fresh_url(self) -> str:
        """The URL of a new, empty schema in the test database."""
        schema = f"test_{next(self._schemas)}"
        with self.connect(DATABASE) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        return self.url(options=f"-csearch_path={schema}")

    def connect(self, database: str) -> psycopg.Connection[Any]:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True)


def binaries() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]))
    if not found:
        pytest.fail(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run scripts/system-packages",
            pytrace=False,
        )
    return found[-1].parent


@contextlib.contextmanager
def running() -> Iterator[Server]:
    """Start a server, yield it, and always stop it and delete its files."""
    bindir = binaries()
    as_user = _postgres_user()
    root = Path(tempfile.mkdtemp(prefix="promoter-pg-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        if as_user:
            os.chown(root, as_user["user"], as_user["group"])
        data, sockets = root / "data", root / "sockets"
        _run(
            [bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "-N"], as_user
        )
        _run(["mkdir", sockets], as_user)
        port = _free_port()
        with (root / "postgres.log").open("wb") as log:
            settings = ["listen_addresses=127.0.0.1", "fsync=off", "synchronous_commit=off", "full_page_writes=off"]
            process = subprocess.Popen(
                [bindir / "postgres", "-D", data, "-p", str(port), "-k", sockets, *_options(settings)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_environment(),
                **as_user,
            )
        server = Server(port)
        _wait_until_ready(server, process, root / "postgres.log")
        with server.connect("postgres") as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        yield server
    finally:
        if process is not None:
            _stop(bindir, root / "data", process, as_user)
        shutil.rmtree(root, ignore_errors=True)


def _postgres_user() -> dict[str, Any]:
    """Popen arguments to run as ``postgres`` when we are root; nothing otherwise."""
    if os.geteuid() != 0:
        return {}
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail("running as root but there is no postgres system user: run scripts/system-packages", pytrace=False)
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def _run(command: list[Any], as_user: dict[str, Any]) -> None:
    subprocess.run(command, check=True, capture_output=True, env=_environment(), **as_user)


def _options(settings: list[str]) -> list[str]:
    return [argument for setting in settings for argument in ("-c", setting)]


def _environment() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_ready(server: Server, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"PostgreSQL exited ({process.returncode}):\n{log.read_text(errors='replace')}", pytrace=False)
        try:
            server.connect("postgres").close()
        except psycopg.OperationalError:
            time.sleep(0.05)
        else:
            return
    pytest.fail(f"PostgreSQL did not accept connections in {START_TIMEOUT}s:\n{log.read_text()}", pytrace=False)


def _stop(bindir: Path, data: Path, process: subprocess.Popen[bytes], as_user: dict[str, Any]) -> None:
    if process.poll() is None:
        with contextlib.suppress(subprocess.CalledProcessError):
            _run([bindir / "pg_ctl", "stop", "-D", data, "-m", "fast", "-w", "-t", "20"], as_user)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
