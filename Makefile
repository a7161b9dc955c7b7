# Two entry points: `make demo` and `make test`. Each builds .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= out

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.demo: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.demo
	$(BIN)/rout run syria-2024 --seed 1 --out $(OUT)/syria-2024
	@echo "report written to $(OUT)/syria-2024/"

test: $(VENV)/.test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q

bench: $(VENV)/.test
	$(BIN)/python benchmarks/run_speed.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
