# apa-ledger: `make demo` runs the main job, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench bytecode clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(MAKE) --no-print-directory bytecode
	touch $(STAMP)

# The project's modules compiled once, as pip compiles an installed package's: with
# PYTHONDONTWRITEBYTECODE set (as on this project's machines) an editable install would
# otherwise compile every module from source on every command, 50 ms of each CLI run.
bytecode: | $(BIN)/python
	$(BIN)/python -m compileall -q domain projections commands benchmarks

demo: $(STAMP)
	$(BIN)/apa-ledger demo

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
