"""The line reader: block YAML as config repos write it, read line by line into the scan's tree
(:mod:`.yamltree`), or :class:`~.yamltree.Unsupported` for anything outside that subset; libyaml (in C)
checks first that the text is YAML at all.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from ruamel.yaml.error import YAMLError

from promoter.gitops.yamltree import Doc, Map, Seq, Tree, Unsupported, maybe_not_text, not_text_key, plain_data

SPECIAL = re.compile(r"(?:^[ ]*|[:\-,\[{][ ]*)[&*!?]")  # an anchor, alias, tag or explicit key where a node starts

_DOC_MARK = re.compile(r"^---(?=[ \n]|$)", re.M)
_REFUSE = re.compile(r"^(?:%|\.\.\.(?:[ \n]|$))|\t|\r|\ufeff", re.M)


def refused_text(text: str) -> bool:
    """TABs, a BOM, lone CRs, directives and document ends: the line reader leaves those to the parser."""
    if "\t" in text or "\r" in text or "\ufeff" in text or "\x85" in text or "\u2028" in text or "\u2029" in text:
        return True  # (NEL and the Unicode line separators break lines for libyaml, not for str.split)
    if text[:1] in ("%", ".") or "\n%" in text or "\n..." in text:
        return _REFUSE.search(text) is not None
    return False


def document_marks(text: str) -> list[int]:
    """Where the '---' document markers start."""
    if not text.startswith("---") and "\n---" not in text:
        return []
    return [m.start() for m in _DOC_MARK.finditer(text)]


# a key at the start of a line's content (after the indentation and any '- '), and the ': ' after it
KEY = re.compile(
    r"""(?:
        ([^\s\-?:,\[\]{}\#&*!|>'"%@`] (?:[^:\#\n] | :(?![ \n]|$) | (?<![ ])\#)*?)  # plain
        | "([^"\\\n]*)"  # double-quoted, without escapes
        | '((?:[^'\n]|'')*)'  # single-quoted
    )[ ]*:(?:[ ]+|$)""",
    re.VERBOSE,
)
_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@`")
# (a ':' inside, as in an image reference, libyaml refuses there; the pure parser, which then judges, takes it)
_FLOW_PLAIN = re.compile(r"[^\s,\[\]{}#:&*!|>'\"%@`?\-](?:[^,\[\]{}#:\n]|:(?=[^\s,\[\]{}]))*")


def outline(text: str) -> list[Doc]:
    """The documents of the text, each read by :func:`read_lines`."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # YAML reads a CRLF as one line break, in scalars too
    if text.startswith("\ufeff"):
        text = text[1:]
    if refused_text(text):
        raise Unsupported
    docs: list[Doc] = []
    for body, first, before_marks in split_documents(text):
        root = read_lines(body.split("\n"), first)
        if not before_marks:
            docs.append(Doc(len(docs), ("", "", first - 1) if root is None else root, None))  # (its '---' line)
        elif root is not None:
            docs.append(Doc(0, root, None))
    return docs


def split_documents(text: str) -> Iterator[tuple[str, int, bool]]:
    """Each document's text and the file line of its first line, in order: the text before the first ``---``
    (``True``: a document only if it holds content), then the text after each marker; Unsupported when a
    marker's line holds content."""
    starts = document_marks(text)
    first_line = 0
    if not starts or starts[0] != 0:
        head = text[: starts[0]] if starts else text
        yield head, 1, True
        first_line = head.count("\n")
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(text)
        chunk = text[start:end]
        marker_end = chunk.find("\n")
        after = chunk[3:] if marker_end < 0 else chunk[3:marker_end]
        if after.strip() and not after.lstrip().startswith("#"):
            raise Unsupported  # content on the '---' line
        yield ("" if marker_end < 0 else chunk[marker_end + 1 :]), first_line + 2, False
        first_line += chunk.count("\n")


def read_documents(text: str) -> list[tuple[int, Any]] | None:
    """Each document's first line of content and plain data (None: an empty one), as
    :func:`manifests.load_documents` reads them, by libyaml's check and the line reader; None when the text
    is outside the line reader's subset (then only a parser may say what it holds)."""
    docs = checked_outline(text.replace("\r\n", "\n") if "\r" in text else text)
    if docs is None:
        return None
    try:
        return [(_first_line(doc.root), plain_data(doc.root)) for doc in docs if doc.root is not None]
    except Unsupported:
        return None


@functools.lru_cache(maxsize=2048)
def checked_outline(text: str) -> tuple[Doc, ...] | None:
    """libyaml's check and the line reader's documents of a whole text, None outside its subset; kept for
    the next reading of the same text (``promoter apps --images`` reads an Application's file for discovery,
    then for its images). The trees are only read, never changed."""
    if refused_text(text) or not libyaml_accepts(text):
        return None
    if "*" in text and any(SPECIAL.search(line) for line in text.split("\n") if "*" in line):
        return None  # an alias: libyaml's parse does not look for its anchor, composing does
    try:
        return tuple(outline(text))
    except Unsupported:
        return None


def _first_line(node: Tree) -> int:
    return node[2] if type(node) is tuple else node.line  # type: ignore[union-attr]


def read_lines(lines: list[str], first: int) -> Map | Seq | None:  # noqa: PLR0915 (one loop, kept flat for speed)
    """One document's lines as a tree. Each line is ``key: value`` or ``- item``; a nested block is more
    indented than its key (a list may sit at its key's indentation). Anything else raises Unsupported."""
    not_text = maybe_not_text()
    indents: list[int] = []
    nodes: list[Map | Seq] = []
    pending: str | None = None  # the key of the innermost mapping whose value starts on a later line
    pending_line = 0
    count = len(lines)
    i = 0
    while i < count:
        line = lines[i]
        content = line.lstrip(" ")
        if not content or content[0] == "#":
            i += 1
            continue
        indent = len(line) - len(content)
        number = first + i
        dash = content[0] == "-" and (len(content) == 1 or content[1] == " ")
        if nodes:
            if pending is not None:
                top_indent = indents[-1]
                if indent > top_indent or (dash and indent == top_indent):
                    child: Map | Seq = Seq(number) if dash else Map(number)
                    nodes[-1][pending] = child  # type: ignore[call-overload]
                    indents.append(indent)
                    nodes.append(child)
                else:
                    nodes[-1][pending] = ("", "", pending_line)  # type: ignore[call-overload]
                pending = None
            while indents[-1] > indent or (
                not dash and indents[-1] == indent and type(nodes[-1]) is Seq and len(nodes) > 1
            ):
                indents.pop()
                nodes.pop()
                if not nodes:
                    raise Unsupported
            if indents[-1] != indent:
                raise Unsupported  # an indentation no open block has: the parser says what it is
            top = nodes[-1]
        else:
            top = Seq(number) if dash else Map(number)
            indents.append(indent)
            nodes.append(top)
        if dash:
            if type(top) is not Seq:
                raise Unsupported
            start = 1
            while start < len(content) and content[start] == " ":
                start += 1
            rest = content[start:]
            if not rest or rest[0] == "#" or (rest[0] == "-" and (len(rest) == 1 or rest[1] == " ")):
                raise Unsupported  # '-' alone, or '- - x'
            split = split_key(rest)
            if split is None:
                value, i = read_value(rest, number, lines, i, indent)
                top.append(value)
                i += 1
                continue
            mapping = Map(number)
            top.append(mapping)
            indents.append(indent + start)
            nodes.append(mapping)
            top = mapping
            content = rest
        else:
            if type(top) is not Map:
                raise Unsupported
            split = split_key(content)
            if split is None:
                raise Unsupported  # a line that is no key: a multi-line scalar, or not YAML
        key, plain, rest = split
        if plain and key[0] in not_text and not_text_key(key):
            raise Unsupported  # a key that is no string (1, true, null): the constructor's business
        if key in top or key == "<<":
            raise Unsupported  # duplicate keys, merge keys
        if not rest or rest[0] == "#":
            pending = key
            pending_line = number
        else:
            first_char = rest[0]
            if first_char not in _PLAIN_START and " #" not in rest and ": " not in rest and rest[-1] not in ": ":
                top[key] = (rest, "", number)
            else:
                top[key], i = read_value(rest, number, lines, i, indents[-1])
        i += 1
    if pending is not None:
        nodes[-1][pending] = ("", "", pending_line)  # type: ignore[call-overload]
    return nodes[0] if nodes else None


_NOT_PLAIN_KEY = frozenset("-?:,[]{}#&*!|>'\"%@`")


def split_key(content: str) -> tuple[str, bool, str] | None:
    """(the key, whether it is plain, what follows its ': ') of a line's content; None when it holds none."""
    if content[0] not in _NOT_PLAIN_KEY:
        colon = content.find(": ")
        if colon < 0:
            if content[-1] != ":":
                return None
            colon = len(content) - 1
        key = content[:colon]
        if " #" not in key and colon < 1000:
            return key.rstrip(" "), True, content[colon + 1 :].lstrip(" ")
    match = KEY.match(content)
    if match is None:
        return None
    if match.end() > 1000:
        raise Unsupported  # YAML limits an implicit key to 1024 characters
    plain, double, single = match.groups()
    if plain is not None:
        return plain.rstrip(" "), True, content[match.end() :]
    return (
        (double, False, content[match.end() :])
        if double is not None
        else (single.replace("''", "'"), False, content[match.end() :])
    )


def read_value(rest: str, number: int, lines: list[str], index: int, parent: int) -> tuple[Tree, int]:
    """A value that starts on this line (after ``key: `` or ``- ``), and the index of its last line (a ``|``
    block takes the lines after)."""
    first = rest[0]
    if first == '"':
        close = rest.find('"', 1)
        if close < 0 or "\\" in rest[1:close]:
            raise Unsupported
        check_tail(rest, close + 1)
        return (rest[1:close], '"', number), index
    if first == "'":
        close = 1
        while True:
            close = rest.find("'", close)
            if close < 0:
                raise Unsupported
            if rest[close + 1 : close + 2] != "'":
                break
            close += 2
        check_tail(rest, close + 1)
        return (rest[1:close].replace("''", "'"), "'", number), index
    if first in "[{":
        node, end = Flow(rest, number).node(0)
        check_tail(rest, end)
        return node, index
    if first == "|":
        return _block(rest, number, lines, index, parent)
    if first in _PLAIN_START and not (first in "-?:" and rest[1:2] not in ("", " ")):
        raise Unsupported
    cut = rest.find(" #")
    plain = (rest if cut < 0 else rest[:cut]).rstrip(" ")
    if ": " in plain or plain.endswith(":"):
        raise Unsupported
    return (plain, "", number), index


def _block(header: str, number: int, lines: list[str], index: int, parent: int) -> tuple[Tree, int]:
    """A literal block scalar (``|``, ``|-``, ``|+``): its text, and the index of its last line."""
    chomp = header[1:2] if header[1:2] in ("-", "+") else ""
    check_tail(header, 1 + len(chomp))
    body: list[str] = []
    indent = 0
    j = index + 1
    while j < len(lines):
        line = lines[j]
        content = line.lstrip(" ")
        if not content:
            if (indent and len(line) > indent) or (not indent and len(line) > parent + 1):
                raise Unsupported  # spaces past the indentation on an empty line: content or not
            body.append("")
            j += 1
            continue
        here = len(line) - len(content)
        if not indent:
            if here <= parent:
                break
            indent = here
        elif here < indent:
            if here > parent and content[0] != "#":
                raise Unsupported  # less indented than the block, more than its parent
            break
        body.append(line[indent:])
        j += 1
    if j == len(lines) and lines[-1] != "":
        raise Unsupported  # the block runs to the end of a text without a final line break
    kept = len(body)
    while kept and body[kept - 1] == "":
        kept -= 1
    trailing = len(body) - kept - (1 if j == len(lines) else 0)  # the text's final '\n' made one more ''
    text = "\n".join(body[:kept])
    if kept and chomp != "-":
        text += "\n"
    if chomp == "+":
        text += "\n" * max(trailing, 0)
    return (text, "|", number), j - 1


def check_tail(text: str, end: int) -> None:
    """After a value on its line only spaces, or spaces and a comment, may follow."""
    rest = text[end:]
    if not rest:
        return
    stripped = rest.lstrip(" ")
    if rest[0] != " " or (stripped and stripped[0] != "#"):
        raise Unsupported


class Flow:
    """A flow collection that closes on its line: ``{a: b, c: [d, 'e']}``; keys and items are scalars or
    flow collections, with no ``:`` or ``#`` in a plain scalar."""

    def __init__(self, text: str, line: int) -> None:
        self.text = text
        self.line = line

    def space(self, at: int) -> int:
        text = self.text
        while at < len(text) and text[at] == " ":
            at += 1
        return at

    def node(self, at: int) -> tuple[Tree, int]:
        text = self.text
        at = self.space(at)
        if at >= len(text):
            raise Unsupported
        first = text[at]
        if first == "{":
            return self.collection(at, Map(self.line), "}")
        if first == "[":
            return self.collection(at, Seq(self.line), "]")
        if first in "\"'":
            close = text.find(first, at + 1)
            if close < 0 or (first == '"' and "\\" in text[at:close]) or text[close + 1 : close + 2] == first:
                raise Unsupported
            return (text[at + 1 : close], first, self.line), close + 1
        match = _FLOW_PLAIN.match(text, at)
        if match is None:
            raise Unsupported
        value = match.group().rstrip(" ")
        return (value, "", self.line), at + len(value)

    def collection(self, at: int, node: Map | Seq, close: str) -> tuple[Tree, int]:
        text = self.text
        at = self.space(at + 1)
        while True:
            if text[at : at + 1] == close:
                return node, at + 1
            item, at = self.node(at)
            at = self.space(at)
            if type(node) is Map:
                if text[at : at + 2] != ": " or type(item) is not tuple:
                    raise Unsupported
                key = item[0]
                if (not item[1] and key and not_text_key(key)) or key in node:
                    raise Unsupported
                value, at = self.node(at + 1)
                node[key] = value
                at = self.space(at)
            else:
                if text[at : at + 1] == ":":
                    raise Unsupported  # a one-pair mapping in a sequence
                assert type(node) is Seq
                node.append(item)
            following = text[at : at + 1]
            if following == ",":
                at = self.space(at + 1)
            elif following != close:
                raise Unsupported


@functools.cache
def _c_parser() -> Any:
    """ruamel's libyaml parser class, or None without the C extension."""
    try:
        from ruamel.yaml import cyaml  # noqa: PLC0415  (optional: the package works without it)
    except ImportError:  # pragma: no cover - ruamel.yaml.clib is a dependency on CPython
        return None
    return getattr(cyaml, "CParser", None)


def libyaml_accepts(text: str) -> bool:
    """Whether libyaml parses the whole text (counting events in C: no Python object per node)."""
    parser = _c_parser()
    if parser is None:
        return False
    try:
        parser(text).raw_parse()
    except YAMLError:
        return False
    return True


_HIDING = re.compile(r"\\[xuU\r\n]")


def may_hide_letters(text: str) -> bool:
    """Whether an escape could spell a letter: ``\\x``, ``\\u``, ``\\U``, or an escaped line break that
    joins two words (``\\"`` and the like cannot)."""
    return "\\" in text and _HIDING.search(text) is not None
