"""Secrets resolve from the environ mapping the caller passes, or from a file; they never show themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from promoter.config import secrets
from promoter.errors import PermanentError

VALUE = "ghp_s3cr3t-value"


def test_from_the_given_environ() -> None:
    secret = secrets.resolve(secrets.EnvRef("TOKEN"), {"TOKEN": VALUE})
    assert secret.reveal() == VALUE


def test_from_a_file_without_its_final_newline(tmp_path: Path) -> None:
    file = tmp_path / "token"
    file.write_text(VALUE + "\n")
    assert secrets.resolve(secrets.FileRef(file), {}).reveal() == VALUE


def test_repr_and_str_hide_the_value() -> None:
    secret = secrets.resolve(secrets.EnvRef("TOKEN"), {"TOKEN": VALUE})
    for shown in (repr(secret), str(secret), f"{secret}", repr([secret]), repr({"token": secret})):
        assert VALUE not in shown
    assert "*" in repr(secret)


def test_equality_compares_values() -> None:
    assert secrets.Secret("a") == secrets.Secret("a")
    assert secrets.Secret("a") != secrets.Secret("b")
    assert secrets.Secret("a") != "a"
    assert len({secrets.Secret("a"), secrets.Secret("a")}) == 1


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        pytest.param({}, "the environment variable TOKEN is not set", id="unset"),
        pytest.param({"TOKEN": "  \n"}, "the environment variable TOKEN is empty", id="empty"),
    ],
)
def test_env_errors_name_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(secrets.SecretError) as caught:
        secrets.resolve(secrets.EnvRef("TOKEN"), environ)
    assert str(caught.value) == message
    assert isinstance(caught.value, PermanentError)


def test_file_errors_name_the_file_never_the_value(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(secrets.SecretError, match=f"cannot read the secret file {missing}: No such file"):
        secrets.resolve(secrets.FileRef(missing), {})
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(secrets.SecretError, match=f"the secret file {empty} is empty"):
        secrets.resolve(secrets.FileRef(empty), {})
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff" + VALUE.encode())
    with pytest.raises(secrets.SecretError) as caught:
        secrets.resolve(secrets.FileRef(binary), {})
    assert str(caught.value) == f"the secret file {binary} is not UTF-8 text"


def test_references_show_where_not_what(tmp_path: Path) -> None:
    assert str(secrets.EnvRef("TOKEN")) == "{env: TOKEN}"
    assert str(secrets.FileRef(tmp_path / "t")) == f"{{file: {tmp_path}/t}}"
