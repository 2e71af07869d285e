# rgnotes: build the book, run the tests. `make help` lists the targets.
# Everything runs in a local virtual environment (.venv) created from requirements.lock.

PYTHON   ?= python3.11
PROFILE  ?= full
STUDY    ?= all
PROFILES := quick full
JOBS     ?= 2
VENV     := .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
NOTEBOOKS = _build/$(PROFILE)/notebooks

ifeq ($(filter $(PROFILE),$(PROFILES)),)
$(error Unknown PROFILE '$(PROFILE)'. Valid profiles: $(PROFILES))
endif

.PHONY: help env execute book test unit checks update-expected verify results lint lab lock clean \
        clean-env browser-check browser-test

help:
	@echo "make book                        the reader's book: stored paper-scale results (data/results)"
	@echo "                                 for the chapters that have them, quick runs for the others"
	@echo "make book PROFILE=quick          execute every chapter from scratch at the quick profile"
	@echo "make test                        unit tests, the quick chapters' checks against their"
	@echo "                                 committed values (tests/expected), study verify"
	@echo "                                 and, where chromium is installed, the quick book in it"
	@echo "make browser-check               the built book of PROFILE in headless chromium: raw TeX,"
	@echo "                                 broken images, overflowing text, visible tracebacks"
	@echo "make update-expected             re-execute the quick chapters, rewrite tests/expected"
	@echo "make results [STUDY=..] [JOBS=..] recompute studies at full scale into data/results (hours)"
	@echo "make lab                         JupyterLab with the chapters opening as notebooks"
	@echo "make lint                        ruff"
	@echo "make lock                        re-resolve requirements.lock and environment.yml"
	@echo "make clean                       remove _build (keeps .venv and data/cache)"

# ---- environment ---------------------------------------------------------------------
$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@cp tools/lab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	@touch $(STAMP)

env: $(STAMP)

# ---- the book --------------------------------------------------------------------------
# PROFILE=full (the default) executes the chapters with stored results at full, loading
# data/results/, and the others at quick; PROFILE=quick executes every chapter from scratch.
execute: $(STAMP)
	$(BIN)/python tools/execute.py --profile $(PROFILE) --jobs $(JOBS)

book: execute
	$(BIN)/python tools/render.py --profile $(PROFILE) --fallback quick

# ---- the results store -------------------------------------------------------------------
results: $(STAMP)
	$(BIN)/python -m rgnotes study run $(STUDY) --profile full --jobs $(JOBS)

# ---- tests -----------------------------------------------------------------------------
unit: $(STAMP)
	$(BIN)/python -m pytest tests -q

# The quick chapters are executed from scratch; every check cell asserts its conclusions and
# what it prints must equal the committed tests/expected/<chapter>.txt.
checks: $(STAMP)
	$(BIN)/python tools/execute.py --profile quick --jobs $(JOBS)
	$(BIN)/python tools/expected.py check

update-expected: $(STAMP)
	$(BIN)/python tools/execute.py --profile quick --jobs $(JOBS)
	$(BIN)/python tools/expected.py update

verify: $(STAMP)
	$(BIN)/python -m rgnotes study verify

# The built book of PROFILE in headless Chromium (Debian's chromium): fails on raw TeX, a broken
# image, a text column overflowing at 1400 or 800 px, a visible traceback or warning.
browser-check: $(STAMP)
	$(BIN)/python tools/browser_check.py _build/$(PROFILE)/_build/html

# In make test: the quick book (just executed by checks) rendered and checked, where chromium is.
browser-test: checks
	@if command -v chromium >/dev/null 2>&1; then \
	  $(BIN)/python tools/render.py --profile quick && \
	  $(BIN)/python tools/browser_check.py _build/quick/_build/html; \
	else echo "browser check skipped: no chromium (apt-get install chromium)"; fi

test: unit checks verify browser-test

lint: $(STAMP)
	$(BIN)/ruff check rgnotes tests tools

# ---- interactive -----------------------------------------------------------------------
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=book

# ---- maintenance -----------------------------------------------------------------------
lock:
	rm -rf _build/lockenv
	$(PYTHON) -m venv _build/lockenv
	_build/lockenv/bin/python -m pip install --quiet --upgrade pip
	_build/lockenv/bin/python -m pip install --quiet ".[book,test,datasets]"
	_build/lockenv/bin/python tools/lock.py _build/lockenv/bin/python

clean:
	rm -rf _build

clean-env:
	rm -rf $(VENV)
