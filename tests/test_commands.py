"""The command table of ``promoter``: ``--help`` lists the commands from their summaries without importing them,
so each summary must stay the command's own."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from promoter.cli.main import COMMANDS


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_summary_is_the_commands_own(name: str) -> None:
    module, _, attribute = COMMANDS[name].target.partition(":")
    command = getattr(importlib.import_module(module), attribute)
    assert command.name == name
    assert command.get_short_help_str(300) == COMMANDS[name].summary


def test_help_lists_every_command_and_imports_none() -> None:
    probe = (
        "import sys; from promoter.cli import main\n"
        "try:\n    main.cli.main(['--help'], prog_name='promoter')\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('promoter.cli.') and m != 'promoter.cli.main'"
        " and m != 'promoter.cli.logs'))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    *help_lines, imported = result.stdout.splitlines()
    assert imported == "[]"
    listed = [line.split()[0] for line in help_lines[help_lines.index("Commands:") + 1 :] if line.strip()]
    assert listed == list(COMMANDS)


@pytest.mark.parametrize("name", [name for name, command in COMMANDS.items() if not command.logs])
def test_a_command_without_logs_imports_no_structlog(name: str) -> None:
    probe = (
        "import sys; from promoter.cli import main\n"
        f"try:\n    main.cli.main([{name!r}, '--help'], prog_name='promoter')\nexcept SystemExit:\n    pass\n"
        "print('structlog' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.splitlines()[-1] == "False"
