"""Pagination as GitHub does it: ``per_page`` (default 30, at most 100) and ``page``, with a ``Link``
header naming the first, previous, next and last pages, which PyGithub's PaginatedList follows."""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from promoter.sandbox.github import endpoint

T = TypeVar("T")


def window(call: endpoint.Call, items: Sequence[T]) -> tuple[Sequence[T], dict[str, str]]:
    """The requested page of ``items`` and the headers that point at its neighbours."""
    per_page = min(max(_integer(call.query.get("per_page"), 30), 1), 100)
    page = max(_integer(call.query.get("page"), 1), 1)
    last = max(math.ceil(len(items) / per_page), 1)
    relations = []
    if page < last:
        relations += [("next", page + 1), ("last", last)]
    if page > 1:
        relations += [("first", 1), ("prev", min(page - 1, last))]
    headers = {}
    if relations:
        headers["Link"] = ", ".join(f'<{_page_url(call.url, n, per_page)}>; rel="{rel}"' for rel, n in relations)
    return items[(page - 1) * per_page : page * per_page], headers


def reply(call: endpoint.Call, items: Sequence[T], render: Callable[[T], Any]) -> endpoint.Reply:
    """A 200 with the requested page of ``items``, each rendered."""
    chunk, headers = window(call, items)
    return endpoint.Reply(200, [render(item) for item in chunk], headers)


def _integer(text: str | None, default: int) -> int:
    return int(text) if text is not None and text.isdigit() else default


def _page_url(url: str, page: int, per_page: int) -> str:
    parts = urllib.parse.urlsplit(url)
    query = [
        (k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if k not in ("page", "per_page")
    ]
    query += [("per_page", str(per_page)), ("page", str(page))]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
