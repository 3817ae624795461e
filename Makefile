# `make demo` and `make test` set everything up themselves on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PLUGINS := $(wildcard plugins/*/pyproject.toml)
# pip: errors only (-qq), not its notices about itself, the PATH, running as root or setuptools' build warnings.
PIP := PIP_ROOT_USER_ACTION=ignore $(BIN)/python -m pip --quiet --quiet --disable-pip-version-check
# The demo's own database, inside this checkout (gitignored); `make demo DEMO_DB=PATH` for another.
DEMO_DB ?= .ownit/demo.db
DEMO := OWNIT_DATABASE_URL='sqlite:///$(abspath $(DEMO_DB))' $(BIN)/ownit demo

.PHONY: setup demo demo-reset test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml $(PLUGINS)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "OwnIt needs Python 3.11 or newer (set PYTHON=python3.12)"; exit 1; }
	@echo "setting up $(VENV): OwnIt, its plugins and the test tools (the first time takes a couple of minutes)…"
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) install --upgrade pip
	@$(PIP) install --no-warn-script-location -e '.[dev]' $(foreach p,$(dir $(PLUGINS)),-e ./$(p))
	@touch $@
	@echo "$(VENV) is ready"

# Ctrl+C stops the UI; a second `make demo` keeps the requests of the first.
demo: setup
	@$(DEMO)

# Empties the demo's database and seeds it again (refused if it holds more than the demo).
demo-reset: setup
	@$(DEMO) --reset

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# A few minutes at 100,000 requests; docs/benchmarks.md has the full-size commands.
BENCH_N ?= 100000
bench: setup
	$(BIN)/python bench/raise_requests.py --n $(BENCH_N) --raises 1000 --repeat 3
	$(BIN)/python bench/owner_queue.py --n $(BENCH_N)
	$(BIN)/python bench/report.py --n $(BENCH_N) --repeat 3
	$(BIN)/python bench/sweep.py --n $(BENCH_N) --repeat 3
	$(BIN)/python bench/actions.py --n $(BENCH_N) --repeat 3
	$(BIN)/python bench/ui_page.py --n $(BENCH_N)
	$(BIN)/python bench/raise_during_report.py --n $(BENCH_N)
	$(BIN)/python bench/cli.py --n $(BENCH_N) --repeat 3
	@if [ -x /usr/bin/chromium ]; then $(BIN)/python bench/pages.py --n $(BENCH_N) --repeat 3; \
	else echo "bench/pages.py skipped: it needs Debian's chromium (apt-get install chromium)"; fi
	@if [ -n "$$OWNIT_TEST_DATABASE_URL" ]; then \
		$(BIN)/python bench/pg_throughput.py --db "$$OWNIT_TEST_DATABASE_URL" --n 10000 --actions 400; \
	else echo "bench/pg_throughput.py skipped: set OWNIT_TEST_DATABASE_URL to a PostgreSQL database"; fi

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
