"""The scan's fast path proper (step 3 of :mod:`.scan`): libyaml has checked the whole file at C speed; then a
document the walker would walk whole (anything but an Application, an ApplicationSet or a kustomization) is
read only at the lines that name ``image``, their places found by indentation: block scalars' text set aside,
and given up on at the first construct whose lines indentation does not describe (multi-line scalars and
flows, anchors, tags).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from promoter.gitops import applications
from promoter.gitops.linereader import (
    KEY,
    SPECIAL,
    Flow,
    check_tail,
    checked_outline,
    libyaml_accepts,
    may_hide_letters,
    read_lines,
    read_value,
    refused_text,
    split_documents,
    split_key,
)
from promoter.gitops.yamltree import Doc, Map, Refused, Steps, Unsupported, not_text_key

if TYPE_CHECKING:
    from promoter.gitops.scan import Walker  # (the walker records; this module only reads lines for it)

# (these run on single lines picked by plain substring tests: Python's regexes are slow over whole texts)
_SINGLE_OPEN = re.compile(r"(?:^[ ]*(?:-[ ]+)*|:[ ]+)'(?:[^']|'')*$")  # a single-quoted scalar open at the end
_FLOW_OPEN = re.compile(r"(?:^[ ]*(?:-[ ]+)*|:[ ]+)[\[{]")
_IMAGE_WORD = re.compile(r"image(?![\w.-])")
_ROOT_KEY = re.compile(r"""(?:(kind|apiVersion)|"(kind|apiVersion)"|'(kind|apiVersion)')[ ]*:(?:[ ]+|$)(.*)$""")
_HELM_FIELDS = ("repository", "registry", "tag", "digest", '"', "'")
_ROOT_PREFIXES = ("kind", "apiVersion", '"kind"', '"apiVersion"', "'kind'", "'apiVersion'")


def fast_file(walker: Walker, text: str) -> None:
    """The file's references and Applications, or Unsupported (nothing recorded that counts then)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if applications.API_GROUP in text and "Application" in text:  # read whole anyway: maybe read already
        whole = checked_outline(text)
        if whole is not None:
            walker.documents(list(whole))
            return
    if refused_text(text) or not libyaml_accepts(text):
        raise Refused
    if "*" in text and any(SPECIAL.search(line) for line in text.split("\n") if "*" in line):
        raise Refused  # an alias: libyaml's parse does not look for its anchor, composing does
    for index, chunk, first in _chunks(text):
        docs = _Hits(walker, index, chunk, first).run()
        if docs is not None:
            walker.documents(docs)


def _chunks(text: str) -> Iterator[tuple[int, str, int]]:
    """(document index, its text, the file line of its first) for each document, as :func:`outline` counts."""
    index = 0
    for body, first, before_marks in split_documents(text):
        if before_marks and not any(s and s[0] != "#" for s in (line.lstrip(" ") for line in body.split("\n"))):
            continue  # comments and blank lines before the first '---': no document
        yield index, body, first
        index += 1


def _check(lines: list[str], text: str) -> None:
    """Unsupported unless indentation alone gives the structure of the lines (block scalars emptied): each a
    key or an item, each scalar and flow on one line; no anchor, alias, tag, explicit or merge key; no escape
    in a double-quoted scalar (it could spell a key)."""
    if "<<" in text:
        raise Unsupported
    if "&" in text or "*" in text or "!" in text or "?" in text:
        for line in [line for line in lines if "&" in line or "*" in line or "!" in line or "?" in line]:
            if SPECIAL.search(line):
                raise Unsupported
    if '"' in text:
        for line in [line for line in lines if '"' in line]:
            if line.count('"') % 2 or "\\" in line:
                raise Unsupported
    if "'" in text:
        for line in [line for line in lines if "'" in line]:
            if _SINGLE_OPEN.search(line):
                raise Unsupported
    if "[" in text or "{" in text:
        for line in [line for line in lines if "[" in line or "{" in line]:
            if line.lstrip(" ")[:1] in ("[", "{"):
                raise Unsupported  # a flow on a line of its own: the value of the key above
            if _FLOW_OPEN.search(line):
                tail = line.rstrip(" ")
                if " #" in tail and tail[-1] not in "]}":
                    tail = tail[: tail.index(" #")].rstrip(" ")
                if tail[-1:] not in ("]", "}") or line.count("[") + line.count("{") != line.count("]") + line.count(
                    "}"
                ):
                    raise Unsupported  # a flow that may go on to the next line
    for i, line in [
        (i, line) for i, line in enumerate(lines) if (": " not in line and line[-1:] != ":") or " #" in line
    ]:
        content = line.lstrip(" ")
        if not content or content[0] == "#":
            continue
        if " #" in content:
            content = content[: content.index(" #")].rstrip(" ")
            if ": " in content or content[-1:] == ":":
                continue
        if not _is_dash(content):
            raise Unsupported  # neither key nor item: a scalar going on from the line before
        indent = len(line) - len(line.lstrip(" "))
        k = i - 1
        while k >= 0 and lines[k].lstrip(" ")[:1] in ("", "#"):
            k -= 1
        if k >= 0:
            above = lines[k]
            stripped = above.split(" #", 1)[0].rstrip(" ")
            if len(above) - len(above.lstrip(" ")) < indent and stripped[-1:] != ":":
                raise Unsupported  # '- ' going on a scalar of the line before


def _is_dash(content: str) -> bool:
    return content[0] == "-" and (len(content) == 1 or content[1] == " ")


class _Hits:
    """One document (valid YAML, libyaml says): walked whole by the line reader when the walker would need
    all of it, else read at its ``image`` lines only."""

    def __init__(self, walker: Walker, index: int, text: str, first: int) -> None:
        self.walker = walker
        self.index = index
        self.text = text
        self.lines = text.split("\n")
        self.first = first
        self.mappings: dict[tuple[int, int], Steps] = {}
        self.items: dict[int, tuple[Steps, int]] = {}
        self.parsed: dict[int, tuple[int, bool, int, str | None, str]] = {}
        self.seen: set[Steps] = set()

    def run(self) -> list[Doc] | None:
        """The document for the walker, when it needs the whole tree; None when its references are recorded."""
        lines = self.lines
        first = next((line for line in lines if line.lstrip(" ")[:1] not in ("", "#")), None)
        if first is None:
            return [Doc(self.index, ("", "", self.first - 1), None)]  # an empty document
        if first[0] in " -{[":
            return self.whole()  # an indented root, a list, a flow or JSON: read whole
        roots: dict[str, tuple[int, str]] = {}
        text = "\n" + self.text
        for prefix in _ROOT_PREFIXES:
            at = text.find("\n" + prefix)
            while at >= 0:
                end = text.find("\n", at + 1)
                m = _ROOT_KEY.match(text, at + 1, len(text) if end < 0 else end)
                if m is not None:
                    name = m.group(1) or m.group(2) or m.group(3)
                    if name not in roots or roots[name][0] > at:
                        roots[name] = (at, m.group(4))
                    break
                at = text.find("\n" + prefix, at + 1)
        kind = self.scalar(roots["kind"][1]) if "kind" in roots else None
        api = (self.scalar(roots["apiVersion"][1]) if "apiVersion" in roots else None) or ""
        if kind in ("Application", "ApplicationSet") or self.walker.is_kustomization(kind, api):
            return self.whole()
        text = self.text
        hides = may_hide_letters(text)
        if "image" not in text and not hides:
            return None  # nothing can name an image here (an escape might: _check refuses those)
        hits = [j for j, line in enumerate(lines) if "image" in line]
        if "|" in text or ">" in text:
            self.blank()
            hits = [j for j in hits if lines[j]]
        hits = [j for j in hits if _IMAGE_WORD.search(lines[j])]
        if not hides and (not hits or ("repository" not in text and all(self.schema(j) for j in hits))):
            return None
        _check(lines, text)
        self.walker.doc = self.index
        for j in hits:
            self.hit(j)
        return None

    def whole(self) -> list[Doc]:
        root = read_lines(self.lines, self.first)
        return [Doc(self.index, ("", "", self.first - 1) if root is None else root, None)]

    def scalar(self, rest: str) -> str | None:
        if not rest or rest[0] == "#" or rest[0] in "[{|>":
            raise Unsupported  # the root's kind as a block, a flow, or on the next line
        value, _ = read_value(rest, 0, [], 0, 0)
        assert isinstance(value, tuple)
        return value[0]

    def schema(self, j: int) -> bool:
        """Whether line ``j`` is ``image:`` over a block mapping or list (a CRD's schema of an image field):
        with no ``repository`` key anywhere that is no reference."""
        _, _, column, key, rest = self.parse(j)
        if key != "image" or (rest and rest[0] != "#"):
            return False
        lines = self.lines
        for k in range(j + 1, len(lines)):
            content = lines[k].lstrip(" ")
            if content and content[0] != "#":
                indent, dash, _, below, _ = self.parse(k)
                return dash or below is not None or indent <= column
        return True

    def blank(self) -> None:
        """Empty the lines of block scalars (their text is no structure)."""
        lines = self.lines
        j = 0
        count = len(lines)
        while j < count:
            line = lines[j]
            j += 1
            if "|" not in line and ">" not in line:
                continue
            parent = self.block_parent(line)
            if parent is None:
                continue
            while j < count:
                below = lines[j]
                content = below.lstrip(" ")
                if content and len(below) - len(content) <= parent:
                    break
                lines[j] = ""
                j += 1

    def block_parent(self, line: str) -> int | None:
        """The indentation a block scalar's lines must pass, when the line starts one (else None)."""
        content = line.lstrip(" ")
        column = len(line) - len(content)
        if content[:1] in ("|", ">"):
            return None
        while content and _is_dash(content):
            rest = content[1:].lstrip(" ")
            if rest[:1] in ("|", ">"):
                return column
            column += len(content) - len(rest)
            content = rest
        match = KEY.match(content)
        if match is None:
            return None
        rest = content[match.end() :]
        return column if rest[:1] in ("|", ">") else None

    # one line

    def parse(self, j: int) -> tuple[int, bool, int, str | None, str]:
        """(indentation, whether it is an item, the column of its content, its key or None, what follows)."""
        known = self.parsed.get(j)
        if known is not None:
            return known
        line = self.lines[j]
        content = line.lstrip(" ")
        indent = len(line) - len(content)
        dash = _is_dash(content)
        column = indent
        if dash:
            rest = content[1:].lstrip(" ")
            column += len(content) - len(rest)
            content = rest
        split = split_key(content) if content else None
        if split is None:
            parsed: tuple[int, bool, int, str | None, str] = (indent, dash, column, None, content)
        else:
            key, plain, rest = split
            if plain and not_text_key(key):
                raise Unsupported
            parsed = (indent, dash, column, key, rest)
        self.parsed[j] = parsed
        return parsed

    def before(self, j: int, below: int) -> int:
        """The nearest line above ``j`` with content indented less than ``below``, or a sibling key of the
        mapping at ``below`` whose steps are known (-1: none)."""
        if not below:
            return -1
        lines = self.lines
        mappings = self.mappings
        pad = " " * below
        k = j - 1
        while k >= 0:
            line = lines[k]
            if not line.startswith(pad):  # indented less (or empty)
                content = line.lstrip(" ")
                if content and content[0] != "#":
                    return k
            elif (k, below) in mappings and line[below : below + 1] not in ("", " ", "#", "-"):
                return k  # a sibling key whose mapping is known
            k -= 1
        return -1

    def mapping(self, j: int, column: int) -> Steps:
        """The steps to the mapping whose keys are at ``column``, one of them on (or above) line ``j``."""
        memo = self.mappings.get((j, column))
        if memo is not None:
            return memo
        indent, dash, content, _, _ = self.parse(j)
        if dash and content == column:
            seq, index = self.item(j, indent)
            steps: Steps = (*seq, index)
        else:
            k = self.before(j, column)
            if k < 0:
                if column:
                    raise Unsupported
                steps = ()
            elif (k, column) in self.mappings:
                steps = self.mappings[(k, column)]  # a sibling's
            else:
                k_indent, k_dash, k_content, key, rest = self.parse(k)
                if k_dash and k_content == column:
                    seq, index = self.item(k, k_indent)
                    steps = (*seq, index)
                elif key is None or (rest and rest[0] != "#") or k_content >= column:
                    raise Unsupported
                else:
                    steps = (*self.mapping(k, k_content), key)
        self.mappings[(j, column)] = steps
        return steps

    def item(self, j: int, column: int) -> tuple[Steps, int]:
        """The steps to the list whose ``- `` are at ``column``, and the index of the item on line ``j``."""
        memo = self.items.get(j)
        if memo is not None:
            return memo
        lines = self.lines
        count = 0
        k = j - 1
        found: tuple[Steps, int] | None = None
        pad = " " * column
        while k >= 0:
            line = lines[k]
            if not line.startswith(pad):  # indented less (or empty)
                content = line.lstrip(" ")
                if content and content[0] != "#":
                    break
            else:
                first = line[column : column + 1]
                if first not in ("", " ", "#"):  # indented exactly so
                    if not _is_dash(line[column:]):
                        break
                    known = self.items.get(k)
                    if known is not None:
                        found = (known[0], known[1] + 1 + count)
                        break
                    count += 1
            k -= 1
        if found is None:
            if k < 0:
                raise Unsupported  # a list at the root
            _, _, k_content, key, rest = self.parse(k)
            if key is None or (rest and rest[0] != "#") or k_content > column:
                raise Unsupported
            found = ((*self.mapping(k, k_content), key), count)
        self.items[j] = found
        return found

    # what a line naming image holds

    def hit(self, j: int) -> None:
        indent, dash, column, key, rest = self.parse(j)
        number = self.first + j
        walker = self.walker
        if key is None:
            if dash and rest[:1] in ("[", "{"):
                seq, index = self.item(j, indent)
                self.flow(rest, number, (*seq, index))
            return
        if key == "path" and "/image" in rest:
            raise Unsupported  # a JSON patch operation in a manifest: the line reader reads those
        if key != "image":
            if rest[:1] in ("[", "{"):
                self.flow(rest, number, (*self.mapping(j, column), key))
            return
        steps = self.mapping(j, column)
        if "image" in steps:
            return  # inside the value of an image key: the editor does not look there
        if steps in self.seen:
            raise Unsupported  # two image keys in one mapping: the first counts; the parser's tree knows which
        self.seen.add(steps)
        if not rest or rest[0] == "#":
            mapping = self.children(j, column)
            if mapping is not None:
                walker.helm_image(mapping, (*steps, "image"), "", 0)
            return
        if rest[0] in "|>":
            raise Unsupported
        value, _ = read_value(rest, number, [], 0, column)
        if isinstance(value, Map):
            walker.helm_image(value, (*steps, "image"), "", 0)
        elif isinstance(value, tuple):
            walker.image_string(number, (*steps, "image"), "", value[0])

    def flow(self, rest: str, number: int, steps: Steps) -> None:
        if "image" in steps:
            return
        node, end = Flow(rest, number).node(0)
        check_tail(rest, end)
        if not isinstance(node, tuple):
            self.walker.walk(node, steps, "", 0)

    def children(self, j: int, column: int) -> Map | None:
        """The scalar fields of the block mapping under ``image:`` on line ``j`` (None: it is no mapping)."""
        lines = self.lines
        k = j + 1
        child = -1
        mapping: Map | None = None
        while k < len(lines):
            line = lines[k]
            content = line.lstrip(" ")
            if content and content[0] != "#":
                indent = len(line) - len(content)
                if child < 0:
                    if indent <= column or _is_dash(content):
                        return None  # null, or a list
                    child = indent
                    mapping = Map(self.first + k)
                if indent < child:
                    break
                if (
                    indent == child
                    and not content.startswith(_HELM_FIELDS)
                    and ": " not in content
                    and (content[-1] != ":" or content[0] in "{[")
                ):
                    raise Unsupported  # not a key: the parser knows what it is
                if indent == child and content.startswith(_HELM_FIELDS):
                    _, dash, _, key, rest = self.parse(k)
                    if dash or key is None:
                        raise Unsupported
                    assert mapping is not None
                    if key in _HELM_FIELDS[:4] and key not in mapping:
                        if rest and rest[0] != "#":
                            if rest[0] in "|>":
                                raise Unsupported
                            mapping[key], _ = read_value(rest, self.first + k, [], 0, child)
                        else:
                            nested = self.next_indent(k)
                            if nested <= child:
                                mapping[key] = ("", "", self.first + k)
            k += 1
        return mapping

    def next_indent(self, j: int) -> int:
        """The indentation of the next line with content (-1: none)."""
        lines = self.lines
        for k in range(j + 1, len(lines)):
            content = lines[k].lstrip(" ")
            if content and content[0] != "#":
                return len(lines[k]) - len(content)
        return -1
