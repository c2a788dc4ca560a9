"""A YAML text split into documents, with positions.

Locating uses ruamel.yaml's composer for positions only; no value is ever re-dumped. Where ruamel's C
extension is installed, documents are composed by it (ten times faster, same tags: both resolve plain
scalars by YAML 1.2). ruamel's pure-Python round-trip parser is stricter about one thing that matters in
real repos, a TAB after a value, which libyaml and Go accept: so whenever the text holds a TAB, or the C
parser fails, the pure parser composes and judges the file.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import importlib.util
import re
from collections.abc import Iterator

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import DocumentEndEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from promoter.yamledit.errors import EditError

__all__ = ["MappingNode", "Node", "ScalarNode", "SequenceNode", "Source"]


@functools.cache
def _has_c_parser() -> bool:
    return importlib.util.find_spec("_ruamel_yaml") is not None


def _fast_yaml() -> YAML:
    return YAML(typ="safe", pure=not _has_c_parser())


def _strict_yaml() -> YAML:
    return YAML(typ="rt", pure=True)


@dataclasses.dataclass(frozen=True)
class Document:
    """One document: its composed root and where its text lies in the file.

    ``offset`` is added to the node marks (the document is composed from its own slice of the text).
    """

    index: int
    start: int
    end: int
    root: Node | None
    offset: int

    def span(self, node: Node) -> tuple[int, int]:
        return node.start_mark.index + self.offset, node.end_mark.index + self.offset


class Source:
    """The text of one file (or of one block scalar), split into documents."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self._bounds = self._document_bounds()
        self._strict: dict[int, Document] = {}
        # libyaml skips a byte order mark without counting it, and accepts TABs the pure parser refuses.
        self._fast = _has_c_parser() and "\t" not in text and "\ufeff" not in text

    # positions -------------------------------------------------------------------------------

    def position(self, index: int) -> tuple[int, int]:
        """1-based line and column of a character index."""
        line = bisect.bisect_right(self._line_starts, index) - 1
        return line + 1, index - self._line_starts[line] + 1

    def index(self, line: int, column: int) -> int:
        """The character index of a 1-based line and column."""
        return self._line_starts[line - 1] + column - 1

    def error(self, reason: str, index: int | None = None) -> EditError:
        if index is None:
            return EditError(reason)
        line, column = self.position(index)
        return EditError(reason, line, column)

    # documents -------------------------------------------------------------------------------

    @property
    def count(self) -> int:
        return len(self._bounds)

    def bounds(self, index: int) -> tuple[int, int]:
        return self._bounds[index]

    def document(self, index: int) -> Document:
        """The document composed on its own (cached): by the C parser if it may, else by the strict one."""
        if index not in self._strict:
            start, end = self._bounds[index]
            chunk = self.text[start:end]
            roots = None
            if self._fast:
                try:
                    roots = list(_fast_yaml().compose_all(chunk))
                except YAMLError:
                    roots = None  # the strict parser decides, and reports an error its own way
            if roots is None:
                roots = self._compose(chunk, _strict_yaml(), start)
            if len(roots) != 1:
                raise self.error(f"document {index} does not stand alone as one YAML document", start)
            _refuse_template(self, roots[0], start)
            self._strict[index] = Document(index, start, end, roots[0], start)
        return self._strict[index]

    def quick_documents(self) -> Iterator[Document]:
        """Every document, composed by the fastest parser available (for searching only)."""
        if not self._fast:
            for i in range(self.count):
                yield self.document(i)
            return
        try:
            roots = list(_fast_yaml().compose_all(self.text))
        except YAMLError:
            for i in range(self.count):
                yield self.document(i)
            return
        for i, root in enumerate(roots):
            start, end = self._bounds[i]
            yield Document(i, start, end, root, 0)

    def _document_bounds(self) -> list[tuple[int, int]]:
        """Slices of the text that tile it, one per document, each composable on its own.

        Each slice runs from the previous document's end to this one's (an implicit end is where the next
        document starts), so comments and directives between documents go with the next one.
        """
        parsers = [_fast_yaml(), _strict_yaml()] if _has_c_parser() else [_strict_yaml()]
        for yaml in parsers:
            try:
                ends = [e.end_mark.index for e in yaml.parse(self.text) if isinstance(e, DocumentEndEvent)]
            except YAMLError:
                continue  # the strict parser has the last word
            return [
                (ends[i - 1] if i else 0, len(self.text) if i == len(ends) - 1 else end) for i, end in enumerate(ends)
            ]
        raise self._parse_error(self.text, 0)

    def _compose(self, text: str, yaml: YAML, offset: int) -> list[Node | None]:
        try:
            return list(yaml.compose_all(text))
        except YAMLError:
            raise self._parse_error(text, offset) from None

    def _parse_error(self, text: str, offset: int) -> EditError:
        """Re-parse strictly to report the error the way Python's YAML parser sees it."""
        try:
            list(_strict_yaml().compose_all(text))
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "invalid YAML"
            reason = f"not valid YAML: {problem}"
            if "'\\t'" in problem or "tab" in problem.lower():
                reason += " (a TAB; Go's YAML may accept it, Python's YAML parsers do not)"
            if "{{" in text:
                reason = f"looks like a Go/Helm template, not YAML until rendered ({problem})"
            if mark is None:
                return EditError(reason)
            return self.error(reason, mark.index + offset)
        except YAMLError as exc:
            return EditError(f"not valid YAML: {exc}")
        return EditError("not valid YAML")


_HELM_WORDS = (
    r"-?\s*(?:\.Values|\.Release|\.Chart|\.Capabilities|\.Files|\.Template|\$|include\b|template\b|if\b|else\b|"
    r"end\b|range\b|with\b|define\b|toYaml\b|tpl\b|required\b|default\b|printf\b|quote\b)"
)
_ACTION_BODY = re.compile("^" + _HELM_WORDS)
_ACTION = re.compile(r"\{\{" + _HELM_WORDS)


def _refuse_template(source: Source, root: Node | None, offset: int) -> None:
    """A Helm template may happen to parse: ``key: {{ .Values.x }}`` reads as a flow mapping used as a key.

    Refused where the template syntax is structural (such a key, or a Helm action in a plain scalar). Text
    in quoted and block scalars is data (``tpl`` values, Argo CD commit templates), and so are other
    ``{{ }}`` uses: Argo Rollouts ``{{args.x}}``, ApplicationSet ``{{path.basename}}``.
    """
    stack = [root]
    while stack:
        node = stack.pop()
        found: Node | None = None
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(key, MappingNode) and _ACTION_BODY.match(_innermost_key(key)):
                    found = key
                    break
                stack.append(value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, ScalarNode) and not node.style and _ACTION.search(node.value):
            found = node
        if found is not None:
            raise source.error(
                "a Helm template ({{ ... }} where YAML expects a value): not YAML until rendered; edit its values "
                "instead",
                found.start_mark.index + offset,
            )


def _innermost_key(node: MappingNode) -> str:
    current: Node = node
    while isinstance(current, MappingNode) and current.value:
        current = current.value[0][0]
    return str(current.value) if isinstance(current, ScalarNode) else ""
