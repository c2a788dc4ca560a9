"""Checking the sandbox servers' responses against the real services' API descriptions in ../shared/specs."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
from openapi_schema_validator import OAS30Validator

SPECS = Path(__file__).resolve().parents[1].parent / "shared" / "specs"


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


def check_github(method: str, path: str, status: int, body: Any) -> str:
    """Validate a GitHub sandbox response; return the matched path template."""
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


def check_argocd(method: str, path: str, status: int, body: Any) -> str:
    """Validate an Argo CD simulator response; return the matched path template."""
    spec = _load("argocd-promotion-bot.trimmed.json")
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
