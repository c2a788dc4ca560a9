"""The command table of ``promoter``: ``--help`` lists the commands from their summaries without importing them,
so each summary must stay the command's own."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from promoter.adapters.store import SQLStore
from promoter.cli import wiring
from promoter.cli.main import COMMANDS

ROOT = Path(__file__).resolve().parents[1]


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
        "))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    *help_lines, imported = result.stdout.splitlines()
    assert imported == "[]"
    listed = [line.split()[0] for line in help_lines[help_lines.index("Commands:") + 1 :] if line.strip()]
    assert listed == list(COMMANDS)


@pytest.mark.parametrize("name", [name for name, command in COMMANDS.items() if not command.logs])
def test_a_command_without_logs_imports_no_structlog_nor_logging(name: str) -> None:
    probe = (
        "import sys; from promoter.cli import main\n"
        f"try:\n    main.cli.main([{name!r}, '--help'], prog_name='promoter')\nexcept SystemExit:\n    pass\n"
        "print('structlog' in sys.modules, 'logging' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.splitlines()[-1] == "False False"


# --- start-up: a command imports what it uses (DESIGN.md §13: bot commands start in <= 0.5 s) ---------------

_HEAVY = ("sqlalchemy", "github", "git", "httpx", "prometheus_api_client", "apscheduler", "uvicorn", "structlog")


def _imported(args: list[str], cwd: Path) -> dict[str, bool]:
    probe = (
        "import json, sys; from promoter.cli import main\n"
        f"try:\n    main.cli.main({args!r}, prog_name='promoter')\nexcept SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        f"print(json.dumps({{name: name in sys.modules for name in {_HEAVY!r}}}))"
    )
    env = {**os.environ, "PROMOTER_GITHUB_TOKEN": "t", "PROMOTER_ARGOCD_TOKEN": "t", "PROMOTER_LOG_LEVEL": "error"}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=cwd, env=env, check=True, timeout=60
    )
    found: dict[str, bool] = json.loads(result.stdout.splitlines()[-1])
    return found


def _default_config(tmp_path: Path) -> Path:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    return config


def test_validate_offline_imports_no_adapter(tmp_path: Path) -> None:
    imported = _imported(["validate", "--offline", "--config", str(_default_config(tmp_path))], tmp_path)
    assert not any(imported.values()), imported


def test_status_and_pause_on_a_known_store_import_only_the_stores_library(tmp_path: Path) -> None:
    config = _default_config(tmp_path)
    store = SQLStore(f"sqlite:///{tmp_path / '.promoter' / 'promoter.db'}")
    try:
        store.create_promotion("guestbook", "1.2.3", dt.datetime.now(dt.UTC))
    finally:
        store.close()
    for args in (["status", "--config", str(config)], ["pause", "guestbook", "--config", str(config)]):
        imported = _imported(args, tmp_path)
        assert imported.pop("sqlalchemy"), args
        assert not any(imported.values()), (args, imported)  # GitHub, git, Argo CD, Prometheus: never asked


@pytest.mark.parametrize("name", ["start", "plan", "status", "promote", "validate"])
def test_a_bot_command_other_than_run_imports_no_adapter_to_start(name: str, tmp_path: Path) -> None:
    imported = _imported([name, "--help"], tmp_path)  # the command's module and what it imports
    assert not any(imported.values()), imported  # (the scheduler and the HTTP server are run's alone)


def test_a_deferred_adapter_is_made_on_first_use_once_and_never_to_be_closed() -> None:
    made: list[list[str]] = []

    def make() -> list[str]:
        made.append(["adapter"])
        return made[-1]

    untouched = wiring.Deferred(make)
    untouched.close()
    assert made == []
    used = wiring.Deferred(make)
    assert used.count("adapter") == 1
    assert used.index("adapter") == 0
    assert len(made) == 1
    closing = wiring.Deferred(Closing)
    closing.ping()
    closing.close()
    assert closing.made.closed


class Closing:
    closed = False

    def ping(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def test_apps_forks_its_image_scan_before_importing_the_discovery() -> None:
    # The child has no use for the discovery's modules: imported after the fork, they load while it scans.
    probe = (
        "import sys; import promoter.cli.apps\n"
        "print([m for m in ('promoter.cli.listing', 'promoter.gitops.discovery', 'promoter.gitops.appsets',"
        " 'ssl') if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "[]"


def test_a_config_without_analysis_templates_imports_none_of_their_models(tmp_path: Path) -> None:
    # The default config has no analysis/ folder: the templates' models (some tens of pydantic classes) wait.
    probe = (
        "import sys; from promoter.cli import main\n"
        f"try:\n    main.cli.main(['validate', '--offline', '--config', {str(_default_config(tmp_path))!r}])\n"
        "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('promoter.config.rollouts' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.splitlines()[-1] == "False"
