"""Structured logs, written to stderr (stdout is for output) and configured once by the command line.

structlog is imported when the first line is written, not before: a command that writes none (``status`` or
``pause`` on a known store) starts a tenth of a second sooner. Every module logs through :func:`get`.
"""

from __future__ import annotations

import sys
from typing import Any

LEVELS = ("debug", "info", "warning", "error")


class _Settings:
    """The command line's wishes, applied to structlog when a line is first written after they were made."""

    def __init__(self) -> None:
        self.level = "info"
        self.json = False
        self.applied = True  # nothing asked: structlog's own defaults

    def apply(self) -> None:
        import logging  # noqa: PLC0415  (here: only a process that writes a line needs these)

        import structlog  # noqa: PLC0415

        renderer: structlog.typing.Processor = (
            structlog.processors.JSONRenderer()
            if self.json
            else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        )
        structlog.configure(
            processors=[
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.format_exc_info,
                renderer,
            ],
            wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, self.level.upper())),
            logger_factory=structlog.PrintLoggerFactory(sys.stderr),
            cache_logger_on_first_use=False,
        )
        self.applied = True


_SETTINGS = _Settings()


def configure(level: str = "info", *, json: bool = False) -> None:
    """Lines at ``level`` and above, as JSON lines (for collectors) or for people."""
    _SETTINGS.level, _SETTINGS.json, _SETTINGS.applied = level, json, False


class Logger:
    """A named logger: its first line imports structlog and applies the settings."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def debug(self, event: str, **fields: Any) -> None:
        self._bound().debug(event, **fields)

    def info(self, event: str, **fields: Any) -> None:
        self._bound().info(event, **fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._bound().warning(event, **fields)

    def error(self, event: str, **fields: Any) -> None:
        self._bound().error(event, **fields)

    def exception(self, event: str, **fields: Any) -> None:
        """At error level, with the exception being handled."""
        self._bound().exception(event, **fields)

    def _bound(self) -> Any:
        import structlog  # noqa: PLC0415  (imported once; then a lookup in sys.modules)

        if not _SETTINGS.applied:
            _SETTINGS.apply()
        return structlog.get_logger(self._name)


def get(name: str) -> Logger:
    """The logger for ``name`` (nothing is imported until it writes)."""
    return Logger(name)
