"""The tree both of the scan's readers build (:mod:`.scan`'s parser and :mod:`.linereader`), and its plain data.

Mappings by key (the first of duplicates; the rest in ``dups``), lists, and scalars as (text as read, style,
line), where style is '' plain, "'" or '"' quoted, '|' or '>' block; each collection knows its first line.
Plain data is what ruamel's constructor gives for the same text (YAML 1.2: ``yes`` stays a string).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import Node, ScalarNode

from promoter.gitops import manifests


class Unsupported(Exception):
    """The line reader met something outside its subset: the parser reads the file instead."""


class Refused(Unsupported):
    """libyaml does not parse the text (or the line reader never reads such text): only the parser may judge."""


class Broken(Exception):
    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


# ---------------------------------------------------------------------------------------------------
# the tree both readers give: mappings by key (the first of duplicates; the rest in ``dups``), lists, and
# scalars as (text as read, style, line) where style is '' plain, "'" or '"' quoted, '|' or '>' block


class Map(dict[str, "Tree"]):
    __slots__ = ("dups", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.dups: list[tuple[str, Tree]] = []


class Seq(list["Tree"]):
    __slots__ = ("line",)

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line


Scalar = tuple[str, str, int]
Tree = Map | Seq | Scalar
Steps = tuple[str | int, ...]  # a path into a tree: keys and indices


def scalar_text(mapping: Map, name: str) -> str | None:
    node = mapping.get(name)
    return node[0] if type(node) is tuple else None


def c_yaml() -> YAML:
    return YAML(typ="safe", pure=False)


@functools.cache
def constructing() -> YAML:
    """One loader whose resolver and constructor give plain data (they keep no state between documents)."""
    return c_yaml()


@dataclasses.dataclass
class Doc:
    index: int
    root: Tree | None
    node: Node | None  # the composed root, when the parser read it (for its plain data)


# ---------------------------------------------------------------------------------------------------
# plain data from the line reader's tree, as the parser's constructor would give it

_PLAIN_CACHE: dict[str, Any] = {}


@functools.cache
def maybe_not_text() -> frozenset[str]:
    """The first characters of the plain scalars the resolver may read as other than a string."""
    return frozenset(str(c) for c in constructing().resolver.versioned_resolver if c)


def not_text_key(key: str) -> bool:
    """Whether a plain key reads as other than itself (``1``, ``true``, ``null``)."""
    return key[0] in maybe_not_text() and resolve_plain(key) != key


def plain_data(node: Tree) -> Any:
    if type(node) is tuple:
        return node[0] if node[1] else resolve_plain(node[0])
    if type(node) is Seq:
        return [plain_data(item) for item in node]
    assert type(node) is Map
    return {key: plain_data(value) for key, value in node.items()}  # keys: the line reader takes only text keys


def resolve_plain(value: str) -> Any:
    """A plain scalar's value by ruamel's resolver and constructor (YAML 1.2: ``yes`` stays a string)."""
    if value and value[0] not in maybe_not_text():
        return value
    if value not in _PLAIN_CACHE:
        yaml = constructing()
        tag = yaml.resolver.resolve(ScalarNode, value, (True, False))
        try:
            constructed = yaml.constructor.construct_non_recursive_object(ScalarNode(tag, value))
        except Exception:  # noqa: BLE001  (any constructor complaint: the parser path reports it its way)
            raise Unsupported from None
        _PLAIN_CACHE[value] = manifests.plain(constructed)
    return _PLAIN_CACHE[value]
