"""Setting any scalar of a real config file to its current value leaves the file byte-identical."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from promoter.yamledit import editor, paths, scalars
from promoter.yamledit.errors import EditError
from promoter.yamledit.source import MappingNode, Node, ScalarNode, SequenceNode, Source
from tests.conftest import CORPUS, MISSING_SHARED, shared_present
from tests.yamledit.cli_runner import promoter

if not shared_present():  # every test here reads the corpus, and their parameters come from it
    pytest.skip(MISSING_SHARED, allow_module_level=True)
FILES = sorted(p for p in (CORPUS / "repos").rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _leaves(
    node: Node | None, prefix: tuple[paths.Segment, ...] = ()
) -> Iterator[tuple[tuple[paths.Segment, ...], ScalarNode]]:
    if isinstance(node, ScalarNode):
        if prefix:
            yield prefix, node
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            yield from _leaves(item, (*prefix, paths.Index(i)))
    elif isinstance(node, MappingNode):
        keys = [k.value for k, _ in node.value if isinstance(k, ScalarNode)]
        for k, v in node.value:
            if isinstance(k, ScalarNode) and keys.count(k.value) == 1 and k.value != "<<":
                yield from _leaves(v, (*prefix, paths.Key(k.value)))


def _parseable(path: Path) -> Source | None:
    try:
        source = Source(path.read_bytes().decode("utf-8"))
        for index in range(source.count):
            source.document(index)
    except (EditError, UnicodeDecodeError):
        return None  # Helm templates: refused, tested elsewhere
    return source


def test_the_corpus_has_files() -> None:
    assert len(FILES) > 100


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(CORPUS / "repos")) for p in FILES])
def test_every_scalar_set_to_its_own_value_changes_nothing(path: Path) -> None:
    source = _parseable(path)
    if source is None:
        # Only Helm templates are refused, and then every edit is refused.
        assert "/templates/" in str(path)
        with pytest.raises(EditError, match="template"):
            editor.apply(path.read_text(), [editor.Edit.parse("metadata.name=x")])
        return
    edits = []
    for index in range(source.count):
        for segments, node in _leaves(source.document(index).root):
            # The value as a person types it on the command line: the scalar's text, quoted when the text
            # itself looks like a quoted string (which the command line reads as an explicit string).
            typed = node.value if scalars.explicit_string(node.value) is None else scalars.double_quoted(node.value)
            edits.append(editor.Edit(segments, typed, text=True, doc=index))
    if not edits:
        pytest.skip("no scalar values")
    assert editor.apply(source.text, edits) == source.text
    # And one by one, which also exercises the search for the document when it is not given.
    for edit in edits[:40]:
        assert editor.apply(source.text, [edit]) == source.text


def test_noop_through_the_cli_prints_no_diff_and_leaves_the_file(tmp_path: Path) -> None:
    original = CORPUS / "repos/istio+istio/samples/bookinfo/platform/kube/bookinfo.yaml"
    target = tmp_path / "bookinfo.yaml"
    target.write_bytes(original.read_bytes())
    mtime = target.stat().st_mtime_ns
    result = promoter("edit", "set", "bookinfo.yaml", "spec.replicas=1", "--doc", "9", "--write", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == original.read_bytes()
    assert target.stat().st_mtime_ns == mtime  # not even rewritten
