# `make demo` and `make test` set everything up themselves on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PLUGINS := $(wildcard plugins/*/pyproject.toml)

.PHONY: setup demo test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml $(PLUGINS)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "OwnIt needs Python 3.11 or newer (set PYTHON=python3.12)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' $(foreach p,$(dir $(PLUGINS)),-e ./$(p))
	touch $@

demo: setup
	$(BIN)/ownit demo

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
	@if [ -n "$$OWNIT_TEST_DATABASE_URL" ]; then \
		$(BIN)/python bench/pg_throughput.py --db "$$OWNIT_TEST_DATABASE_URL" --n 10000 --actions 400; \
	else echo "bench/pg_throughput.py skipped: set OWNIT_TEST_DATABASE_URL to a PostgreSQL database"; fi

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
