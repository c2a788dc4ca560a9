"""Structured logs: configured once by the command line, written to stderr (stdout is for output)."""

from __future__ import annotations

import sys

LEVELS = ("debug", "info", "warning", "error")


def configure(level: str = "info", *, json: bool = False) -> None:
    import logging  # noqa: PLC0415  (here, as structlog: the commands that write no logs need neither)

    import structlog  # noqa: PLC0415

    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
