"""Every edit group of ../shared/corpus/scenarios.yaml, through the command line, byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.conftest import CORPUS, MISSING_SHARED, shared_present
from tests.yamledit.cli_runner import promoter


def _groups() -> list[tuple[str, list[dict[str, Any]]]]:
    with (CORPUS / "scenarios.yaml").open(encoding="utf-8") as handle:
        data = YAML(typ="safe").load(handle)
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in data["scenarios"]:
        groups.setdefault(row["group"], []).append(row)
    return sorted(groups.items())


if not shared_present():  # every test here reads the corpus, and their parameters come from it
    pytest.skip(MISSING_SHARED, allow_module_level=True)
GROUPS = _groups()


def _assignments(rows: list[dict[str, Any]]) -> list[str]:
    """The values as a person types them: the new value, unquoted (the file's quoting is kept)."""
    return [f"{row['path']}={row['new']}" for row in rows]


def _checkout(tmp_path: Path, rows: list[dict[str, Any]]) -> Path:
    target = tmp_path / rows[0]["file"]
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CORPUS / rows[0]["original_file"], target)
    return target


@pytest.mark.parametrize(("group", "rows"), GROUPS, ids=[g for g, _ in GROUPS])
def test_write_reproduces_the_expected_file(tmp_path: Path, group: str, rows: list[dict[str, Any]]) -> None:
    target = _checkout(tmp_path, rows)
    result = promoter(
        "edit", "set", rows[0]["file"], *_assignments(rows), "--doc", str(rows[0]["doc_index"]), "--write", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b""
    assert target.read_bytes() == (CORPUS / rows[0]["expected_file"]).read_bytes()


@pytest.mark.parametrize(("group", "rows"), GROUPS, ids=[g for g, _ in GROUPS])
def test_diff_matches_the_expected_diff_and_writes_nothing(
    tmp_path: Path, group: str, rows: list[dict[str, Any]]
) -> None:
    target = _checkout(tmp_path, rows)
    before = target.read_bytes()
    result = promoter(
        "edit", "set", rows[0]["file"], *_assignments(rows), "--doc", str(rows[0]["doc_index"]), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == (CORPUS / rows[0]["expected_diff"]).read_bytes()
    assert target.read_bytes() == before


@pytest.mark.parametrize(("group", "rows"), GROUPS, ids=[g for g, _ in GROUPS])
def test_plain_values_without_doc_find_the_one_document(tmp_path: Path, group: str, rows: list[dict[str, Any]]) -> None:
    """Without --doc the path must be found in exactly one document, else the CLI refuses and names them."""
    target = _checkout(tmp_path, rows)
    result = promoter("edit", "set", rows[0]["file"], *_assignments(rows), "--write", cwd=tmp_path)
    if result.returncode == 0:
        assert target.read_bytes() == (CORPUS / rows[0]["expected_file"]).read_bytes()
    else:
        assert result.returncode == 2
        assert b"several documents" in result.stderr
        assert target.read_bytes() == (CORPUS / rows[0]["original_file"]).read_bytes()


def test_corpus_rows_name_their_tokens() -> None:
    """The rows' line and column point at the old token: the editor's diff changes exactly that line."""
    for group, rows in GROUPS:
        original = (CORPUS / rows[0]["original_file"]).read_bytes().split(b"\n")
        expected = (CORPUS / rows[0]["expected_file"]).read_bytes().split(b"\n")
        for row in rows:
            line = row["line"] - 1
            column = row["column"] - 1
            old, new = row["old_text"].encode(), row["new_text"].encode()
            assert original[line][column : column + len(old)] == old, group
            assert expected[line][column : column + len(new)] == new, group
