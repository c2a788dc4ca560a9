"""The two kinds of failure the shell distinguishes.

A :class:`TemporaryError` is retried after a delay (bounded); a :class:`PermanentError` is reported (on the
PR, in the event log) and stops that pipeline until a person acts.
"""

from __future__ import annotations


class PromoterError(Exception):
    """Base of promoter's own errors."""


class TemporaryError(PromoterError):
    """Worth retrying: a timeout, a 5xx, a lost race (non-fast-forward push), rate limiting."""

    def __init__(self, message: str, delay: float = 5.0) -> None:
        super().__init__(message)
        self.delay = delay


class PermanentError(PromoterError):
    """Retrying will not help: bad credentials, a missing application, a conflict a person must resolve."""


class CredentialError(PermanentError):
    """A 401, or a 403 that is not a rate limit: the token is wrong or lacks a permission. A person must act;
    until then the pipeline's passes stop with this reason (reported in ``status``, on the PR, in the log)."""
