"""Serving an ASGI app from a background thread: the daemon's health and metrics, the sandbox servers, tests."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp


class Server:
    """An ASGI app served by uvicorn on ``127.0.0.1``; ``port=0`` picks a free port; with ``tls`` (a certificate
    file and its key, PEM) over HTTPS.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self, app: ASGIApp, port: int = 0, host: str = "127.0.0.1", tls: tuple[Path, Path] | None = None
    ) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Without TCP_NODELAY each response (head, then body) waits for a delayed ACK: ~40 ms a request.
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.bind((host, port))
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        self.scheme = "https" if tls else "http"
        certificate, key = tls if tls else (None, None)
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", ssl_certfile=certificate, ssl_keyfile=key
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> Server:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
