"""A config file read with ruamel.yaml's round-trip loader, which keeps where every key and value is.

:meth:`Document.problem` maps a validation error's ``loc`` (keys and indexes from the root) to the line and
column of the offending key or value, and to the field name shown to the user.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from promoter.config.problems import Problem

Loc = Sequence[int | str]

KEY = "[key]"  # pydantic's marker: the error is about the mapping key just before it, not its value


@dataclasses.dataclass(frozen=True)
class Document:
    file: Path
    root: object  # the round-trip tree: CommentedMap / CommentedSeq / scalars

    def data(self) -> object:
        """The tree as plain Python values (dict, list, str, int, float, bool, None) for validation."""
        return _plain(self.root)

    def problem(self, loc: Loc, message: str, *, at_key: bool = False) -> Problem:
        """A problem at ``loc``: at the value there (or its key when ``at_key``); when the last step of ``loc``
        is not in the file (a missing field), at the mapping that lacks it."""
        line, column = _start(self.root)
        node = self.root
        shown: list[int | str] = []
        for i, step in enumerate(loc):
            last = i == len(loc) - 1
            if isinstance(node, CommentedMap) and step in node:
                # an empty value has no place of its own (ruamel puts it after the key): point at the key
                on_key = (at_key and last) or (not last and loc[i + 1] == KEY) or node[step] is None
                line, column = node.lc.key(step) if on_key else node.lc.value(step)
                node = node[step]
                shown.append(str(step))  # a key, even a number: 1: x shows as ["1"], not as an index
                if on_key:
                    break
            elif isinstance(node, CommentedSeq) and isinstance(step, int) and 0 <= step < len(node):
                line, column = node.lc.item(step)
                node = node[step]
                shown.append(step)
            elif last and isinstance(node, CommentedMap):
                shown.append(step)  # missing: keep the position of the mapping that lacks it
            # otherwise a validator's own step (a union member's tag): not in the file, skip it
            if isinstance(node, CommentedMap | CommentedSeq):
                line, column = node.lc.line, node.lc.col
        return Problem(self.file, line + 1, column + 1, field_name(shown), message)


def read(file: Path) -> Document | Problem:
    """The document in ``file``, or the problem that stops it from being read."""
    text = read_text(file)
    if isinstance(text, Problem):
        return text
    roots = load_all(file, text, several=False)
    return roots if isinstance(roots, Problem) else Document(file, roots[0] if roots else None)


def read_text(file: Path) -> str | Problem:
    """The text of ``file`` (UTF-8), or the problem that stops it from being read."""
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return Problem(file, None, None, "", f"not UTF-8 text (byte {exc.start})")
    except OSError as exc:
        return Problem(file, None, None, "", f"cannot read: {exc.strerror or type(exc).__name__}")


def load_all(file: Path, text: str, *, several: bool = True) -> list[Any] | Problem:
    """The round-trip roots of ``text`` (one document unless ``several``), or where and why it is not YAML;
    ``file`` names it in the problem."""
    yaml = YAML(typ="rt")
    try:
        return list(yaml.load_all(text)) if several else [yaml.load(text)]
    except DuplicateKeyError as exc:
        first = exc.context_mark.line + 1 if exc.context_mark is not None else None
        return _marked(file, exc, "duplicate key" + (f" (first at line {first})" if first else ""))
    except MarkedYAMLError as exc:
        reason = exc.problem or "not valid YAML"
        return _marked(file, exc, f"{exc.context}: {reason}" if exc.context else reason)
    except YAMLError as exc:
        return Problem(file, None, None, "", f"not valid YAML: {exc}")


def _marked(file: Path, exc: MarkedYAMLError, message: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return Problem(file, None, None, "", message)
    return Problem(file, mark.line + 1, mark.column + 1, "", message)


def _start(node: object) -> tuple[int, int]:
    if isinstance(node, CommentedMap | CommentedSeq):
        return node.lc.line, node.lc.col
    return 0, 0


def _plain(node: object) -> object:
    if isinstance(node, dict):
        return {_plain(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node  # a timestamp or a tagged value: validation names its type


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def field_name(loc: Sequence[object]) -> str:
    """``stages[0].targets[1].set["image.tag"]``."""
    out = ""
    for step in loc:
        if isinstance(step, int):
            out += f"[{step}]"
        elif isinstance(step, str) and _PLAIN_KEY.fullmatch(step):
            out += f".{step}" if out else step
        else:
            text = str(step).replace("\\", "\\\\").replace('"', '\\"')
            out += f'["{text}"]'
    return out
