"""Literal block scalars: a new text changes the content lines only; every byte after the last one stays.

The empty and indentation-only lines after a ``|`` or ``|-`` block belong to the file, not to the value;
after a ``|+`` block their line breaks end the value, so a new text with more or fewer final breaks gains
or loses empty lines at the block's end, and only then. Each case shows the exact bytes before and after.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promoter.yamledit import blocks, editor, paths
from promoter.yamledit.errors import EditError
from promoter.yamledit.source import ScalarNode, Source
from promoter.yamledit.verify import plain
from tests.yamledit.cli_runner import promoter


def edit(text: str, assignment: str) -> str:
    """As on the command line: ``PATH=VALUE`` text, read against the old value."""
    return editor.apply(text, [editor.Edit.parse(assignment)])


def set_value(text: str, path: str, value: str) -> str:
    """As typed by a program: the value is exactly this string."""
    return editor.apply(text, [editor.Edit(paths.parse(path), value)])


# a new text, from the command line ----------------------------------------------------------------

COMMAND_LINE = {
    "key followed by one empty line": (
        "notes: |\n  old text\n\nnext: 1\n",
        "notes=new text",
        "notes: |\n  new text\n\nnext: 1\n",
    ),
    "release note list item followed by an empty line": (
        "releaseNotes:\n- |\n  Fixed the login bug.\n\n- |\n  Faster startup.\n",
        "releaseNotes[0]=Fixed the logout bug.",
        "releaseNotes:\n- |\n  Fixed the logout bug.\n\n- |\n  Faster startup.\n",
    ),
    "CI step run followed by two blank lines": (
        "steps:\n  - name: build\n    run: |\n      make build\n\n\n  - name: test\n    run: make test\n",
        "steps[name=build].run=make all",
        "steps:\n  - name: build\n    run: |\n      make all\n\n\n  - name: test\n    run: make test\n",
    ),
    "whitespace-only lines within the indentation": (
        "run: |\n  echo hi\n  \n \n\nnext: 1\n",
        "run=echo bye",
        "run: |\n  echo bye\n  \n \n\nnext: 1\n",
    ),
    "CRLF line endings": (
        "run: |\r\n  echo hi\r\n\r\n  \r\nnext: 1\r\n",
        "run=echo bye",
        "run: |\r\n  echo bye\r\n\r\n  \r\nnext: 1\r\n",
    ),
    "empty line at the end of the file": ("run: |\n  echo hi\n\n", "run=echo bye", "run: |\n  echo bye\n\n"),
    "end of file without a final newline": ("run: |\n  echo hi", "run=echo bye", "run: |\n  echo bye"),
    "indentation-only line ends the file without a newline": (
        "run: |\n  echo hi\n  ",
        "run=echo bye",
        "run: |\n  echo bye\n  ",
    ),
    "strip chomping": ("run: |-\n  echo hi\n\nnext: 1\n", "run=echo bye", "run: |-\n  echo bye\n\nnext: 1\n"),
    "keep chomping keeps its final empty lines": (
        "run: |+\n  echo hi\n\n\nnext: 1\n",
        "run=echo bye",
        "run: |+\n  echo bye\n\n\nnext: 1\n",
    ),
    "explicit indentation indicator": (
        "run: |2\n   echo hi\n\nnext: 1\n",
        "run= echo bye",
        "run: |2\n   echo bye\n\nnext: 1\n",
    ),
    "indentation indicator with strip chomping": (
        "run: |2-\n  echo hi\n\nnext: 1\n",
        "run=echo bye",
        "run: |2-\n  echo bye\n\nnext: 1\n",
    ),
    "header comment and a comment after the block": (
        "run: | # build\n  make\n\n# the next step\nnext: 1\n",
        "run=make all",
        "run: | # build\n  make all\n\n# the next step\nnext: 1\n",
    ),
    "anchor before the header": (
        "run: &script-one |\n  make\n\nnext: 1\n",
        "run=make all",
        "run: &script-one |\n  make all\n\nnext: 1\n",
    ),
    "a comment at the block's indentation is text": (
        "run: |\n  make\n  # part of the text\n\n# a comment\nnext: 1\n",
        "run=make all",
        "run: |\n  make all\n\n# a comment\nnext: 1\n",
    ),
    "a whitespace line deeper than the indentation is text": (
        "run: |\n  echo hi\n     \n\nnext: 1\n",
        "run=echo bye",
        "run: |\n  echo bye\n\nnext: 1\n",
    ),
    "block before a document separator": (
        "run: |\n  echo hi\n\n---\nother: 2\n",
        "run=echo bye",
        "run: |\n  echo bye\n\n---\nother: 2\n",
    ),
    "deeply nested list item": (
        "a:\n  b:\n    - |\n      x\n\n    - y\n",
        "a.b[0]=z",
        "a:\n  b:\n    - |\n      z\n\n    - y\n",
    ),
    "the same text is a no-op": ("run: |\n  echo hi\n\nnext: 1\n", "run=echo hi", "run: |\n  echo hi\n\nnext: 1\n"),
    "a typed final line break is taken as given": (
        "run: |\n  echo hi\n\nnext: 1\n",
        "run=echo bye\n",
        "run: |\n  echo bye\n\nnext: 1\n",
    ),
    "explicitly quoted text with its line break": (
        "run: |\n  echo hi\n\nnext: 1\n",
        'run="echo bye\\n"',
        "run: |\n  echo bye\n\nnext: 1\n",
    ),
}


@pytest.mark.parametrize(("text", "assignment", "expected"), COMMAND_LINE.values(), ids=COMMAND_LINE.keys())
def test_a_new_text_keeps_every_byte_after_the_block(text: str, assignment: str, expected: str) -> None:
    assert edit(text, assignment) == expected


# a new text, typed exactly -------------------------------------------------------------------------

TYPED = {
    "several lines, an empty one written without indentation": (
        "run: |\n  a\n\nnext: 1\n",
        "run",
        "line 1\n\n  line 3\n",
        "run: |\n  line 1\n\n    line 3\n\nnext: 1\n",
    ),
    "keep: the same final breaks": ("a: |+\n  x\n\n  \nb: 1\n", "a", "y\n\n\n", "a: |+\n  y\n\n  \nb: 1\n"),
    "keep: more final breaks add empty lines at the block's end": (
        "a: |+\n  x\n\nb: 1\n",
        "a",
        "y\n\n\n\n",
        "a: |+\n  y\n\n\n\nb: 1\n",
    ),
    "keep: more final breaks with CRLF": (
        "a: |+\r\n  x\r\n\r\nb: 1\r\n",
        "a",
        "y\n\n\n",
        "a: |+\r\n  y\r\n\r\n\r\nb: 1\r\n",
    ),
    "keep: fewer final breaks drop the block's last empty lines": (
        "a: |+\n  x\n\n  \n\nb: 1\n",
        "a",
        "y\n\n",
        "a: |+\n  y\n\nb: 1\n",
    ),
    "keep: one final break": ("a: |+\n  x\n\n\nb: 1\n", "a", "y\n", "a: |+\n  y\nb: 1\n"),
    "keep: at the end of the file": ("a: |+\n  x\n\n", "a", "y\n", "a: |+\n  y\n"),
    "keep: before a comment, which is not part of the value": (
        "a: |+\n  x\n\n# c\n\nb: 1\n",
        "a",
        "y\n\n",
        "a: |+\n  y\n\n# c\n\nb: 1\n",
    ),
    "keep: end of file without a final newline": ("a: |+\n  x", "a", "y", "a: |+\n  y"),
    "strip: end of file": ("a: |-\n  x\n\n", "a", "y", "a: |-\n  y\n\n"),
}


@pytest.mark.parametrize(("text", "path", "value", "expected"), TYPED.values(), ids=TYPED.keys())
def test_a_typed_text_is_written_exactly(text: str, path: str, value: str, expected: str) -> None:
    out = set_value(text, path, value)
    assert out == expected
    tree = plain(Source(out).document(0).root)
    assert isinstance(tree, dict)
    assert tree[path] == value


# inside a '|' path ---------------------------------------------------------------------------------

KUSTOMIZATION = """\
patchesStrategicMerge:
- |
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: app
  data:
    script.sh: |
      echo one

    mode: fast

resources:
- base
"""

NESTED = {
    "kustomize patch whose ConfigMap holds a block scalar": (
        KUSTOMIZATION,
        'patchesStrategicMerge[0]|data["script.sh"]=echo two',
        KUSTOMIZATION.replace("echo one", "echo two"),
    ),
    "a plain value on the patch's last line": (
        KUSTOMIZATION,
        "patchesStrategicMerge[0]|data.mode=slow",
        KUSTOMIZATION.replace("fast", "slow"),
    ),
    "inner block last in the outer block, blank lines after": (
        "p: |\n  a: |\n    x\n\n\nq: 1\n",
        "p|a=y",
        "p: |\n  a: |\n    y\n\n\nq: 1\n",
    ),
    "inner block at the end of the file": ("p: |\n  a: |\n    x\n", "p|a=y", "p: |\n  a: |\n    y\n"),
    "inner block at the end of a file without a final newline": (
        "p: |\n  a: |\n    x",
        "p|a=y",
        "p: |\n  a: |\n    y",
    ),
    "inner block followed by blank lines and a key, CRLF": (
        "p: |\r\n  a: |\r\n    x\r\n\r\n  b: 2\r\n",
        "p|a=y",
        "p: |\r\n  a: |\r\n    y\r\n\r\n  b: 2\r\n",
    ),
    "inner keep block": ("p: |\n  a: |+\n    x\n\n  b: 1\n", "p|a=y", "p: |\n  a: |+\n    y\n\n  b: 1\n"),
    "inner strip block": ("p: |\n  a: |-\n    x\n\n  b: 1\n", "p|a=y", "p: |\n  a: |-\n    y\n\n  b: 1\n"),
    "inner block in an outer strip block": ("p: |-\n  a: |\n    x\n\n", "p|a=y", "p: |-\n  a: |\n    y\n\n"),
    "inner block in an outer keep block": (
        "p: |+\n  a: |\n    x\n\n\nq: 1\n",
        "p|a=y",
        "p: |+\n  a: |\n    y\n\n\nq: 1\n",
    ),
    "two levels of '|' in a list item": (
        "p:\n- |\n  a:\n    s: |\n      hi\n\n  b: 1\n",
        "p[0]|a.s=bye",
        "p:\n- |\n  a:\n    s: |\n      bye\n\n  b: 1\n",
    ),
}


@pytest.mark.parametrize(("text", "assignment", "expected"), NESTED.values(), ids=NESTED.keys())
def test_inside_a_block_scalar_every_other_byte_stays(text: str, assignment: str, expected: str) -> None:
    assert edit(text, assignment) == expected


def test_an_inner_text_with_an_empty_line_adds_no_trailing_spaces() -> None:
    out = set_value("p: |\n  a: |\n    x\n  b: 1\n", "p|a", "l1\n\nl2\n")
    assert out == "p: |\n  a: |\n    l1\n\n    l2\n  b: 1\n"


# empty values ----------------------------------------------------------------------------------------

EMPTY = {
    "empty list item": ("a:\n-\n- x\n", "a[0]=v", "a:\n- v\n- x\n"),
    "empty list item before a comment": ("a:\n- # set by CI\n- x\n", "a[0]=v", "a:\n- v # set by CI\n- x\n"),
    "empty list item at the end of the file": ("a:\n-", "a[0]=v", "a:\n- v"),
    "empty list item, CRLF": ("a:\r\n-\r\n- x\r\n", "a[0]=v", "a:\r\n- v\r\n- x\r\n"),
    "empty item of a nested list": ("a:\n- -\n  - x\n", "a[0][0]=v", "a:\n- - v\n  - x\n"),
    "empty item after a mapping item": ("a:\n- b: 1\n-\n", "a[1]=80", "a:\n- b: 1\n- 80\n"),
    "empty list item inside a block scalar": ("p: |\n  a:\n  -\n  - x\n", "p|a[0]=v", "p: |\n  a:\n  - v\n  - x\n"),
    "anchored empty value keeps its anchor": ("a: &x\nb: 1\n", "a=v", "a: &x v\nb: 1\n"),
    "anchored empty list item keeps its anchor": ("a:\n- &x\n- 1\n", "a[0]=v", "a:\n- &x v\n- 1\n"),
}


@pytest.mark.parametrize(("text", "assignment", "expected"), EMPTY.values(), ids=EMPTY.keys())
def test_an_empty_value_is_filled_in_place(text: str, assignment: str, expected: str) -> None:
    assert edit(text, assignment) == expected


def test_a_filled_list_item_reads_back_typed() -> None:
    out = edit("ports:\n-\n", "ports[0]=80")
    assert out == "ports:\n- 80\n"
    assert plain(Source(out).document(0).root) == {"ports": [80]}


# what stays refused --------------------------------------------------------------------------------

REFUSED: dict[str, tuple[str, editor.Edit, str]] = {
    "clip cannot end with two line breaks": (
        "a: |\n  x\n\nb: 1\n",
        editor.Edit(paths.parse("a"), "y\n\n"),
        "ends with 2 line break(s), which the block header '|' cannot keep",
    ),
    "clip needs its final line break": (
        "a: |\n  x\n\nb: 1\n",
        editor.Edit(paths.parse("a"), "y"),
        "ends with 0 line break(s), which the block header '|' cannot keep",
    ),
    "explicitly quoted text is exact": (
        "a: |\n  x\n\nb: 1\n",
        editor.Edit.parse('a="y"'),
        "ends with 0 line break(s), which the block header '|' cannot keep",
    ),
    "strip cannot end with a line break": (
        "a: |-\n  x\n\nb: 1\n",
        editor.Edit(paths.parse("a"), "y\n"),
        "which the block header '|-' cannot keep",
    ),
    "keep followed by more lines ends with a line break": (
        "a: |+\n  x\n\nb: 1\n",
        editor.Edit(paths.parse("a"), "y"),
        "which the block header '|+' cannot keep",
    ),
    "no final newline is added to the file": (
        "run: |\n  echo hi",
        editor.Edit.parse("run=echo bye\n"),
        "the block ends the text without a final line break",
    ),
    "a first line starting with a space needs an indicator": (
        "a: |\n  x\n\nb: 1\n",
        editor.Edit.parse("a= y"),
        "would need an indentation indicator",
    ),
    "a carriage return": ("a: |\n  x\nb: 1\n", editor.Edit(paths.parse("a"), "y\rz\n"), "cannot hold as is"),
    "a control character": ("a: |\n  x\nb: 1\n", editor.Edit(paths.parse("a"), "y\x07\n"), "cannot hold as is"),
    "an empty text": ("a: |\n  x\nb: 1\n", editor.Edit(paths.parse("a"), "\n"), "needs a line of text"),
    "an empty block has no known indentation": (
        "a: |\n\nb: 1\n",
        editor.Edit(paths.parse("a"), "x\n"),
        "its indentation is unknown",
    ),
    "inside a '|' path, a final newline the inner text lacks": (
        "p: |-\n  a: |\n    x\n\n",
        editor.Edit.parse("p|a=y\n"),
        "inside the block scalar: the block ends the text without a final line break",
    ),
}


@pytest.mark.parametrize(("text", "change", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_what_cannot_be_written_exactly_is_refused_with_its_line(text: str, change: editor.Edit, reason: str) -> None:
    with pytest.raises(EditError) as info:
        editor.apply(text, [change])
    assert reason in info.value.reason
    assert "internal check failed" not in info.value.reason
    assert info.value.line is not None


def test_the_command_line_writes_a_release_note_byte_for_byte(tmp_path: Path) -> None:
    notes = tmp_path / "release.yaml"
    notes.write_bytes(b"releaseNotes:\r\n- |\r\n  Fixed the login bug.\r\n\r\n\r\nversion: 1.4.0\r\n")
    result = promoter("edit", "set", "release.yaml", "releaseNotes[0]=Fixed the logout bug.", "--write", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert notes.read_bytes() == b"releaseNotes:\r\n- |\r\n  Fixed the logout bug.\r\n\r\n\r\nversion: 1.4.0\r\n"


# properties ------------------------------------------------------------------------------------------

WORDS = (
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_./:# ", min_size=1, max_size=12).map(str.strip).filter(bool)
)


@st.composite
def _text_lines(draw: st.DrawFn) -> list[str]:
    """Lines of a block's text: a first line at the block's indentation, then lines and empty lines."""
    more = st.one_of(st.just(""), st.tuples(st.sampled_from(["", " ", "   "]), WORDS).map("".join))
    lines = [draw(WORDS), *draw(st.lists(more, max_size=4))]
    if not lines[-1]:
        lines.append(draw(WORDS))
    return lines


@st.composite
def literal_blocks(draw: st.DrawFn) -> tuple[str, str, str, str, tuple[paths.Segment, ...], int]:
    """``(before, content, after, newline, path, indent)``: a file is ``before + content + after``.

    ``content`` runs from the first content line to the end of the last one; ``after`` starts with that
    line's break (unless the file ends there) and holds the empty or indentation-only lines, then what
    follows the block: a key, a comment, another document or the end of the file.
    """
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    chomping = draw(st.sampled_from(["", "-", "+"]))
    comment = draw(st.sampled_from(["", " # the script"]))
    if draw(st.booleans()):
        indent = draw(st.sampled_from([2, 4]))
        explicit = draw(st.sampled_from(["", str(indent)]))
        header = [f"run: |{explicit}{chomping}{comment}"]
        path: tuple[paths.Segment, ...] = (paths.Key("run"),)
    else:
        indent = 4
        header = ["steps:", f"  - |{chomping}{comment}"]
        path = (paths.Key("steps"), paths.Index(0))
    lines = draw(_text_lines())
    content = newline.join(" " * indent + line if line else "" for line in lines)
    trailing = draw(st.lists(st.integers(0, indent).map(lambda n: " " * n), max_size=3))
    # What follows: a key, a comment, another document, the end of the file, or that without a newline (None).
    follow = draw(st.sampled_from([["next: 1"], ["# a comment", "next: 1"], ["---", "other: 2"], [], None]))
    after = "".join(newline + line for line in [*trailing, *(follow or [])]) + ("" if follow is None else newline)
    before = "before: 0" + newline + newline.join(header) + newline
    return before, content, after, newline, path, indent


def _value(text: str, path: tuple[paths.Segment, ...]) -> str:
    node: Any = Source(text).document(0).root
    for segment in path:
        if isinstance(segment, paths.Key):
            node = next(v for k, v in node.value if k.value == segment.name)
        elif isinstance(segment, paths.Index):
            node = node.value[segment.position]
    assert isinstance(node, ScalarNode)
    value: str = node.value
    return value


def _replaced(tree: Any, path: tuple[paths.Segment, ...], value: str) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, paths.Index):
        return [_replaced(item, rest, value) if i == head.position else item for i, item in enumerate(tree)]
    assert isinstance(head, paths.Key)
    return {k: _replaced(v, rest, value) if k == head.name else v for k, v in tree.items()}


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(block=literal_blocks(), new_lines=_text_lines())
def test_a_new_text_changes_only_the_content_lines(
    block: tuple[str, str, str, str, tuple[paths.Segment, ...], int], new_lines: list[str]
) -> None:
    before, content, after, newline, path, indent = block
    text = before + content + after
    old_value = _value(text, path)
    final_breaks = len(old_value) - len(old_value.rstrip("\n"))
    typed = "\n".join(new_lines)

    out = editor.apply(text, [editor.Edit(path, typed, text=True)])

    # 1. Only the content lines changed: the header before them and every byte after them are as they were.
    new_content = newline.join(" " * indent + line if line else "" for line in new_lines)
    assert out == before + new_content + after
    # 2. The value is the new text, ending as the old value ended; everything else reads the same.
    old_docs = [plain(Source(text).document(i).root) for i in range(Source(text).count)]
    new_docs = [plain(Source(out).document(i).root) for i in range(Source(out).count)]
    assert new_docs == [_replaced(old_docs[0], path, typed + "\n" * final_breaks), *old_docs[1:]]
    # 3. A program that types the same value exactly gets the same bytes.
    assert editor.apply(text, [editor.Edit(path, typed + "\n" * final_breaks)]) == out


INNER_KEYS = st.lists(
    st.sampled_from(["image", "tag", "mode", "replicas", "name"]), min_size=1, max_size=4, unique=True
)
BLANKS = st.lists(st.integers(0, 2).map(lambda n: " " * n), max_size=3)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    keys=INNER_KEYS,
    data=st.data(),
    script_blanks=BLANKS,
    trailing=BLANKS,
    newline=st.sampled_from(["\n", "\r\n"]),
    chomping=st.sampled_from(["", "-", "+"]),
    final=st.booleans(),
)
def test_an_edit_inside_a_block_scalar_changes_only_its_token(
    keys: list[str],
    data: st.DataObject,
    script_blanks: list[str],
    trailing: list[str],
    newline: str,
    chomping: str,
    final: bool,
) -> None:
    # Inline values: plain keys and, among them, a script block followed by blank lines; then blank lines.
    entries = [[f"  {key}: v{i}"] for i, key in enumerate(keys)]
    entries.insert(data.draw(st.integers(0, len(keys))), ["  script: |", "    echo v9", *script_blanks])
    lines = [f"values: |{chomping}", *(line for entry in entries for line in entry), *trailing]
    if final:
        lines.append("after: 1")
    text = newline.join(lines) + newline
    key = data.draw(st.sampled_from([*keys, "script"]))
    out = edit(text, f"values|{key}=w" if key != "script" else "values|script=echo w")
    old_token = re.compile(rf"(?m)^  {key}: v\d+") if key != "script" else re.compile("echo v9")
    assert out == old_token.sub(f"  {key}: w" if key != "script" else "echo w", text)


def test_what_a_literal_block_cannot_hold_is_yamls_unprintable_and_its_normalised_breaks() -> None:
    def printable(code: int) -> bool:  # YAML 1.2's c-printable
        return (
            code in (0x9, 0xA, 0xD, 0x85)
            or 0x20 <= code <= 0x7E
            or 0xA0 <= code <= 0xD7FF
            or (0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF)
        )

    normalised = {0xD, 0x85, 0x2028, 0x2029, 0xFEFF}  # line breaks a parser turns into \n, and the byte-order mark
    unwritable = blocks._UNWRITABLE
    assert all(
        (unwritable.match(chr(code)) is not None) == (not printable(code) or code in normalised)
        for code in range(0x110000)
    )
