"""What a version may be: an OCI tag or a digest, checked before anything is pushed.

The version becomes an image tag (or digest) in the config repo, a branch name part and a commit trailer, so
an empty string, whitespace or shell metacharacters would push nonsense (``tag: ""``) to production.
"""

from __future__ import annotations

import re

# The OCI distribution spec's tag grammar, and its digest grammar (algorithm:encoded).
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
DIGEST = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
_HEX_LENGTHS = {"sha256": 64, "sha512": 128}  # the registered algorithms: lowercase hex of a fixed length


def problem(version: str) -> str | None:
    """Why ``version`` cannot be promoted, or None when it is a valid OCI tag or digest."""
    if not version:
        return "the version is empty"
    if version != version.strip() or any(c.isspace() for c in version):
        return f"the version {version!r} holds whitespace"
    if DIGEST.fullmatch(version):
        algorithm, _, encoded = version.partition(":")
        length = _HEX_LENGTHS.get(algorithm)
        if length is not None and not re.fullmatch(f"[a-f0-9]{{{length}}}", encoded):
            return f"the digest {version!r} is not {algorithm}: followed by {length} lowercase hex digits"
        return None
    if TAG.fullmatch(version):
        return None
    if len(version) > 128:
        return f"the version is {len(version)} characters long; an OCI tag has at most 128"
    return (
        f"the version {version!r} is not an OCI tag ([A-Za-z0-9_][A-Za-z0-9._-]{{0,127}}) "
        "nor a digest (sha256:<64 hex digits>)"
    )
