# sales-operator: two commands on a fresh clone, `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
WORKDIR ?= .sales-operator/demo

.PHONY: demo test lint format typecheck evals bench studio clean help

help:
	@echo "make demo   - create .venv and replay the seed deal's lifecycle offline (approves as --yes)"
	@echo "make test   - create .venv with dev dependencies and run the test suite"
	@echo "make evals  - run the evaluations on ../shared/data and write evals/reports/"
	@echo "make bench  - run the benchmarks and write benchmarks/results/"
	@echo "make lint   - ruff and mypy"

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

$(STAMP_RUN): pyproject.toml | $(UV)
	$(UV) pip install --quiet --python $(BIN)/python -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(UV)
	$(UV) pip install --quiet --python $(BIN)/python -e . --group dev
	touch $@ $(STAMP_RUN)

demo: $(STAMP_RUN)
	rm -rf $(WORKDIR)
	$(BIN)/sales-operator demo --yes --workdir $(WORKDIR)

test: $(STAMP_DEV)
	$(BIN)/python -m pytest

lint: $(STAMP_DEV)
	$(BIN)/ruff check src tests graphs evals benchmarks
	$(BIN)/ruff format --check src tests graphs evals benchmarks
	$(BIN)/mypy src

format: $(STAMP_DEV)
	$(BIN)/ruff format src tests graphs evals benchmarks
	$(BIN)/ruff check --fix src tests graphs evals benchmarks

typecheck: $(STAMP_DEV)
	$(BIN)/mypy src

evals: $(STAMP_DEV)
	$(BIN)/python -m evals.run

bench: $(STAMP_DEV)
	$(BIN)/python -m benchmarks.run

studio: $(STAMP_DEV)
	LANGGRAPH_CLI_NO_ANALYTICS=1 LANGGRAPH_NO_VERSION_CHECK=true LANGSMITH_TRACING=false \
		$(BIN)/langgraph dev --no-browser --port $${PORT:-2025}

clean:
	rm -rf $(VENV) .sales-operator .pytest_cache .mypy_cache .ruff_cache
