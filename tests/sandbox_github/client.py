"""Raw HTTP against the sandbox, with every JSON answer checked against GitHub's API description."""

from __future__ import annotations

import urllib.parse
from typing import Any

import httpx

from tests.apispec import check_github


class Api:
    """One user's HTTP client; ``checked`` collects the spec operations whose responses were validated."""

    def __init__(self, base_url: str, token: str | None, checked: set[str]) -> None:
        headers = {"Authorization": f"token {token}"} if token else {}
        # verify=False: plain HTTP on loopback, and it spares loading the CA bundle (~50 ms per client).
        self.client = httpx.Client(base_url=base_url, headers=headers, timeout=10, verify=False)
        self.checked = checked

    def __call__(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        spec: bool = True,
    ) -> httpx.Response:
        """Send a request; with ``spec`` (the default) the response must match the spec's schema."""
        response = self.client.request(method, path, json=json, params=params, headers=headers)
        if spec:
            body = response.json() if response.content else None
            template = check_github(method, urllib.parse.urlsplit(path).path, response.status_code, body)
            if template is not None:  # None: no API description to check against (see tests/apispec.py)
                self.checked.add(f"{method} {template}")
        return response

    def close(self) -> None:
        self.client.close()
