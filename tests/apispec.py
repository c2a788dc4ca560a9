"""Checking the sandbox servers' responses against the real services' API descriptions in ../shared/specs.

Without ``../shared`` (a clone of the project alone) the checks pass every response through unchecked, so
the sandbox tests still test behaviour; :data:`UNCHECKED` counts what went unchecked and the session's
summary says so. The tests whose point is conformance itself use the ``specs`` fixture, and skip. Under
``CI`` the session never gets this far without ``../shared`` (see ``tests/conftest.py``).
"""

from __future__ import annotations

import collections
import functools
import json
import re
from typing import Any

import jsonschema
from openapi_schema_validator import OAS30Validator

from tests.conftest import SPECS, shared_present

UNCHECKED: collections.Counter[str] = collections.Counter()  # service -> responses passed through unchecked


@functools.cache
def _load(name: str) -> dict[str, Any]:
    with (SPECS / name).open(encoding="utf-8") as handle:
        return json.load(handle)  # type: ignore[no-any-return]


def _operation(spec: dict[str, Any], method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The spec operation whose path template matches a concrete path (``/repos/o/r/pulls/1``)."""
    best: tuple[int, str, dict[str, Any]] | None = None
    for template, operations in spec["paths"].items():
        parts = re.split(r"(\{[^}]+\})", template)
        pattern = (
            "^"
            + "".join(
                ("(.+)" if p in ("{ref}", "{path}", "{basehead}") else "([^/]+)") if p.startswith("{") else re.escape(p)
                for p in parts
            )
            + "$"
        )
        if re.match(pattern, path) and method.lower() in operations:
            literal = len(re.sub(r"\{[^}]+\}", "", template))
            if best is None or literal > best[0]:
                best = (literal, template, operations[method.lower()])
    if best is None:
        raise AssertionError(f"{method} {path} is not in the API description")
    return best[1], best[2]


def check_github(method: str, path: str, status: int, body: Any) -> str | None:
    """Validate a GitHub sandbox response; return the matched path template (None: not checked)."""
    if not shared_present():
        UNCHECKED["GitHub sandbox"] += 1
        return None
    spec = _load("github-promotion-bot.trimmed.json")
    template, operation = _operation(spec, method, path)
    responses = operation["responses"]
    response = responses.get(str(status)) or responses.get("default")
    if response is None:
        raise AssertionError(f"{method} {template}: status {status} is not documented ({sorted(responses)})")
    if "$ref" in response:
        response = _resolve(spec, response["$ref"])
    content = (response.get("content") or {}).get("application/json")
    if content is None or "schema" not in content:
        return template
    schema = dict(content["schema"])
    schema["components"] = spec["components"]
    OAS30Validator(schema).validate(body)
    return template


def check_argocd(method: str, path: str, status: int, body: Any) -> str | None:
    """Validate an Argo CD simulator response; return the matched path template (None: not checked)."""
    if not shared_present():
        UNCHECKED["Argo CD simulator"] += 1
        return None
    spec = _load("argocd-promotion-bot.trimmed.json")
    try:
        template, operation = _operation(spec, method, path)
    except AssertionError:  # an endpoint the bot itself never calls (``promoter apps`` asks for clusters)
        spec = _load("argocd-swagger.json")
        template, operation = _operation(spec, method, path)
    responses = operation["responses"]
    response = responses.get(str(status)) or responses.get("default")
    if response is None:
        raise AssertionError(f"{method} {template}: status {status} is not documented ({sorted(responses)})")
    if "schema" not in response:
        return template
    schema = dict(response["schema"])
    schema["definitions"] = spec["definitions"]
    jsonschema.Draft4Validator(schema).validate(body)
    return template


def _resolve(spec: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node  # type: ignore[no-any-return]
