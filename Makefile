# Two entry points: `make demo` and `make test`. Each builds .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= out

.PHONY: demo test bench clean sysdeps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.demo: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,web,experiments]'
	touch $@

# the browser tests drive Debian's Chromium; the map's MP4 export uses ffmpeg
sysdeps:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	command -v ffmpeg >/dev/null || (apt-get update && apt-get install -y ffmpeg)

demo: $(VENV)/.demo
	$(BIN)/rout run syria-2024 --seed 1 --out $(OUT)/syria-2024
	$(BIN)/rout report syria-2024 --runs 5 --out $(OUT)/syria-2024/report.html
	@echo "report written to $(OUT)/syria-2024/report.html"

test: $(VENV)/.test sysdeps
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q

bench: $(VENV)/.test
	$(BIN)/python benchmarks/run_speed.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
