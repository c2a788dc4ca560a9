# Every target sets up what it needs: the Debian packages, a virtualenv in .venv, the package in it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck contracts unit perf system bytecode clean

demo: $(STAMP) bytecode ## run the whole thing end to end on the embedded default
	./scripts/system-packages git prometheus
	$(BIN)/promoter demo

test: system $(STAMP) lint typecheck contracts unit ## everything CI runs

lint: $(STAMP)
	$(BIN)/ruff check promoter tests
	$(BIN)/ruff format --check promoter tests

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

unit: system $(STAMP) bytecode
	$(BIN)/pytest -q tests/core --cov=promoter.core --cov-branch --cov-fail-under=100 --cov-report=term-missing:skip-covered
	$(BIN)/pytest -n 3 --dist loadgroup --durations=15

perf: system $(STAMP) bytecode ## benchmarks: print figures, assert nothing
	$(BIN)/python -m tests.perf.bench_edit
	$(BIN)/python -m tests.perf.bench_git
	$(BIN)/python -m tests.perf.bench_scan
	PROMOTER_LOG_LEVEL=warning $(BIN)/python -m tests.perf.bench_reaction
	PROMOTER_LOG_LEVEL=warning $(BIN)/python -m tests.perf.bench_rest
	PROMOTER_LOG_LEVEL=warning $(BIN)/python -m tests.perf.bench_analysis
	$(BIN)/python -m tests.perf.bench_cli

system:
	./scripts/system-packages

# Where PYTHONDONTWRITEBYTECODE is set (CI images often do) every process would compile promoter's modules
# again (a quarter of a second per command the tests start); compiled once here, they are read, not written.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q promoter

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info
