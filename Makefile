# The two commands: `make demo` and `make test`. Each creates .venv with the machine's python3.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast lint install install-test browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files make re-runs cheap while still reinstalling after pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Browser tests use Debian's chromium (a downloaded browser cannot be installed here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "install Debian's chromium package for the browser tests"; fi; \
	fi

# The demo: warehouse and plans, retrospectives into the lessons knowledge base, then four weekly reports
# per client and audience, oldest first, so each compares with the week before it in the store (the last
# week is the as_of csnb.toml pins; csnb/demo/data.py REPORT_WEEKS). Only the last week is e-mailed.
DEMO_WEEKS := 2026-09-24 2026-10-01 2026-10-08 2026-10-15

demo: install
	$(BIN)/csnb demo
	@for f in parameters/retros/*/*.yaml; do \
	  $(BIN)/csnb retro "$$(basename "$$(dirname "$$f")")" "$$(basename "$$f" .yaml)" || exit $$?; \
	done
	$(BIN)/csnb lessons export
	@for week in $(DEMO_WEEKS); do \
	  for audience in operator executive; do \
	    echo "$(BIN)/csnb run --all --audience $$audience --as-of $$week"; \
	    $(BIN)/csnb run --all --audience "$$audience" --as-of "$$week" || exit $$?; \
	  done; \
	done
	@for f in parameters/*.yaml; do \
	  $(BIN)/csnb send "$$(basename "$$f" .yaml)" --as-of $(lastword $(DEMO_WEEKS)) --dry-run || exit $$?; \
	done
	@echo "reports of the last week:"; find reports -path '*/$(lastword $(DEMO_WEEKS))/*' -name '*.html' | sort
	@echo "portfolio: reports/index.html"

# Style, complexity (mccabe <= 10) and the import layers of csnb (see [tool.importlinter] in pyproject.toml).
lint: install-test
	$(BIN)/ruff check csnb tests benchmarks
	$(BIN)/ruff format --check csnb tests benchmarks
	$(BIN)/lint-imports

# Test files run on TEST_WORKERS processes (one file stays on one process: its fixtures are shared).
TEST_WORKERS ?= 2

test: install-test browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# The suite without the tests that start csnb in fresh processes, run kernels, time out or kill (about a minute).
test-fast: install-test
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not slow"

clean:
	rm -rf $(VENV) reports .csnb .pytest_cache .hypothesis
