# Schulhof — the two commands of the README: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint typecheck unit bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/install-system-deps scripts/install-node-deps
	scripts/install-system-deps
	scripts/install-node-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: setup
	$(BIN)/schulhof --db sqlite:///var/demo.sqlite demo

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy

unit: setup
	scripts/ensure-services
	scripts/install-node-deps
	$(BIN)/pytest -n 2 --dist loadfile

test: lint typecheck unit

bench: setup
	scripts/ensure-services
	scripts/install-system-deps wrk
	$(BIN)/python bench/run.py
	$(BIN)/python bench/api_bench.py
	$(BIN)/python bench/ldap_bench.py
	$(BIN)/python bench/login_bench.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
