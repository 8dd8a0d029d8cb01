# opsbot: `make demo` runs the local bot, `make test` runs everything CI runs.
# Both set themselves up from scratch (a virtualenv in .venv, npm packages in node_modules).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
NPM_STAMP := node_modules/.installed-$(shell cat package-lock.json | cksum | cut -d' ' -f1)

.PHONY: demo test setup lint typecheck unit package deploy-tests tour clock bench clean

demo: $(STAMP)
	$(BIN)/opsbot local

test: lint typecheck package unit tour clock
	@echo "make test: all checks passed"

setup: $(STAMP) $(NPM_STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(NPM_STAMP): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check bot functions tests benchmarks
	$(BIN)/ruff format --check bot functions tests benchmarks
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

package: $(STAMP) $(NPM_STAMP)
	VENV=$(VENV) bash scripts/package.sh

# The whole suite, deploy assertions included (they read the template `package` wrote), on
# every core (pytest-xdist): half the time on a 2-core machine.
unit: $(STAMP)
	$(BIN)/python -m pytest tests -n auto

tour: $(STAMP)
	@if [ -f examples/tour.opsbot ]; then $(BIN)/opsbot local --script examples/tour.opsbot > /dev/null; fi

# The answers do not depend on the date or the time of day: the pure and local tests and the
# tour again, with the wall clock of every Python process (subprocesses too) moved months
# ahead to a few minutes before midnight UTC (tests/clock/sitecustomize.py), once across a
# daylight-saving change in a zone that has one.
CLOCKS := 2027-07-14T23:56:00Z@UTC 2027-03-28T23:57:00Z@Europe/Berlin
CLOCK_TESTS := tests/local tests/domain tests/render tests/test_readme.py
clock: $(STAMP)
	@set -e; for at in $(CLOCKS); do \
		echo "clock: the wall clock at $${at%@*}, TZ=$${at#*@}"; \
		export PYTHONPATH=tests/clock OPSBOT_WALL_CLOCK=$${at%@*} TZ=$${at#*@}; \
		$(BIN)/python -m pytest $(CLOCK_TESTS) -n auto -W ignore::pytest.PytestAssertRewriteWarning; \
		$(BIN)/opsbot local --script examples/tour.opsbot > /dev/null; \
	done

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) node_modules .serverless .pytest_cache .mypy_cache .ruff_cache
