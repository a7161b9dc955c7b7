# Two entry points: `make demo` and `make test`. Each builds .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= out

.PHONY: demo test bench clean sysdeps docs dist-check dist-check-build dist-check-wheel \
	dist-check-sdist

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.demo: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,web,experiments,docs]'
	touch $@

$(VENV)/.build: | $(BIN)/python
	$(BIN)/pip install --quiet build
	touch $@

# the browser tests drive Debian's Chromium; the map's MP4 export uses ffmpeg
sysdeps:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	command -v ffmpeg >/dev/null || (apt-get update && apt-get install -y ffmpeg)

demo: $(VENV)/.demo
	$(BIN)/rout run syria-2024 --seed 1 --out $(OUT)/syria-2024
	$(BIN)/rout report syria-2024 --runs 5 --out $(OUT)/syria-2024/report.html
	@echo "report written to $(OUT)/syria-2024/report.html"

# the suite on both cores (pytest-xdist); each file's tests stay on one worker, so a
# module's fixtures are built once
test: $(VENV)/.test sysdeps
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q -n 2 --dist loadfile
	@$(MAKE) --no-print-directory dist-check

# the documentation site (MkDocs, Material theme) in site/; any warning fails the build
docs: $(VENV)/.test
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir site

# Build the wheel and the sdist, install each into a fresh venv and run `rout` from it; unpack
# the sdist and run some of its own tests against the installed package. Quiet unless it fails
# (then the end of the failing step's log is shown; all logs stay in $(DIST)). The dependencies
# are downloaded into a wheelhouse kept in the user's cache, and both venvs install from there,
# side by side, with the pip of .venv (`pip --python`), which spares each venv its own pip.
DIST := $(OUT)/dist-check
WHEELHOUSE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/rout/dist-check-wheels
DIST_FILES := LICENSE CITATION.cff CHANGELOG.md README.md mkdocs.yml src/rout/py.typed \
	tests/conftest.py tests/test_docs.py tests/test_dist.py docs/ODD.md benchmarks/run_speed.py
DIST_TESTS := tests/test_docs.py tests/test_dist.py tests/test_site.py
DIST_PIP = $(BIN)/pip --python $(1)/bin/python install --quiet --no-compile --no-index \
	--find-links $(abspath $(WHEELHOUSE))
# the end of a step: show its log only if it failed
dist_log = > $(DIST)/$(1).log 2>&1; \
	if [ $$? -ne 0 ]; then tail -n 60 $(DIST)/$(1).log; \
	echo "dist-check: $(1) failed (log: $(DIST)/$(1).log)" >&2; exit 1; fi

dist-check: $(VENV)/.build
	@start=$$(date +%s); rm -rf $(DIST); \
	$(MAKE) --no-print-directory -j2 dist-check-wheel dist-check-sdist || exit 1; \
	rm -rf $(DIST); \
	echo "dist-check: wheel and sdist built, installed and run ($$(( $$(date +%s) - start )) s)"

dist-check-build: $(VENV)/.build
	@mkdir -p $(DIST); \
	( set -ex; \
	  $(BIN)/python -m build --outdir $(DIST)/dist .; \
	  whl=$$(echo $(DIST)/dist/rout-*-py3-none-any.whl); ver=$${whl##*/rout-}; ver=$${ver%%-*}; \
	  test -f "$$whl"; test -f $(DIST)/dist/rout-$$ver.tar.gz; echo "$$ver" > $(DIST)/version; \
	  $(BIN)/python -m zipfile -l "$$whl" > $(DIST)/wheel.txt; \
	  grep -qE '^rout/py\.typed ' $(DIST)/wheel.txt; \
	  grep -qE "^rout-$$ver\.dist-info/licenses/LICENSE " $(DIST)/wheel.txt; \
	  tar -tzf $(DIST)/dist/rout-$$ver.tar.gz > $(DIST)/sdist.txt; \
	  for f in $(DIST_FILES); do grep -qxF "rout-$$ver/$$f" $(DIST)/sdist.txt; done; \
	  dl="$(BIN)/pip download --quiet --dest $(WHEELHOUSE) $$whl pytest setuptools>=77 wheel"; \
	  $$dl --no-index --find-links $(WHEELHOUSE) || $$dl; \
	  rm -f $(WHEELHOUSE)/rout-* \
	) $(call dist_log,build)

# install FILE into the fresh venv DIR and run `rout` from it (outside the source tree)
dist_run = $(PYTHON) -m venv --without-pip $(1); \
	  $(DIST_PIP) $(2) $(3); \
	  (cd $(DIST) && $(1)/bin/rout --version) | grep -qxF "rout $$(cat $(DIST)/version)"; \
	  (cd $(DIST) && $(1)/bin/rout run garrison --days 1 --format json) \
	    | $(1)/bin/python -c 'import json, sys; assert json.load(sys.stdin)["steps"] > 0'

dist-check-wheel: dist-check-build
	@( set -ex; \
	  $(call dist_run,$(abspath $(DIST))/venv-wheel,$(DIST)/dist/rout-*.whl) \
	) $(call dist_log,wheel)

dist-check-sdist: dist-check-build
	@( set -ex; \
	  venv=$(abspath $(DIST))/venv-sdist; \
	  $(call dist_run,$$venv,$(DIST)/dist/rout-*.tar.gz,pytest); \
	  mkdir $(DIST)/unpacked; tar -xzf $(DIST)/dist/rout-*.tar.gz -C $(DIST)/unpacked; \
	  cd $(DIST)/unpacked/rout-*; \
	  $$venv/bin/python -c 'import rout, sys; sys.exit("site-packages" not in rout.__file__)'; \
	  $$venv/bin/python -m pytest -q -x -p no:cacheprovider $(DIST_TESTS) \
	) $(call dist_log,sdist)

bench: $(VENV)/.test
	$(BIN)/python benchmarks/run_speed.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache site
