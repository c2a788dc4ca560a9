"""How a client checks a server's certificate: against the system's CAs, against CA certificates of one's own
(a private CA, argocd-server's self-signed default), or not at all."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from promoter.errors import PermanentError

if TYPE_CHECKING:
    import ssl


def verification(insecure: bool, ca_file: Path | None, setting: str) -> ssl.SSLContext | bool:
    """httpx's ``verify``: False with ``insecure``, a context trusting ``ca_file``'s certificates (read now: a
    missing or bad file is refused before any request, naming ``setting``), else True (the system's CAs)."""
    if insecure:
        return False
    if ca_file is None:
        return True
    import ssl  # noqa: PLC0415  (here: most commands never make a context, and ssl takes 10 ms to import)

    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except (OSError, ssl.SSLError) as exc:
        raise PermanentError(f"{setting}: cannot read CA certificates from {ca_file}: {exc}") from None


def certificate_problem(exc: BaseException) -> str | None:
    """The certificate problem behind a failed connection (``certificate verify failed: ...``), if it is one:
    a permanent failure (no retry makes the server's certificate trusted), where other TLS errors (a reset
    handshake) pass."""
    import ssl  # noqa: PLC0415  (loaded already by whatever made the connection)

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or str(seen)
        seen = seen.__cause__ or seen.__context__
    return "certificate verify failed" if "CERTIFICATE_VERIFY_FAILED" in str(exc) else None
