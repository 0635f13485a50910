# The two commands that set up everything on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: serve test bench lint typecheck check clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

serve: $(STAMP)
	$(BIN)/connectlocal serve

# The whole suite over HTTP against real servers, then the end-to-end tests again in-process
# (mock_connect), and over HTTP again against servers on PostgreSQL, from the same test code.
test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest
	CONNECTLOCAL_TEST_TRANSPORT=inprocess $(BIN)/pytest tests/api
	CONNECTLOCAL_TEST_STORE=postgresql $(BIN)/pytest tests/api -q

# Benchmarks (bench/README.md): installs the bench extra (moto's server); wrk and nginx come
# from Debian's packages and bench/serve.py installs them if missing.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/mock_calls.py
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/serve.py --scaling
	$(BIN)/python bench/serve.py --writes
	$(BIN)/python bench/ctr_import.py
	$(BIN)/python bench/simulate.py

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .venv-clients tests/clients/js/node_modules .connectlocal .pytest_cache \
	  .mypy_cache .ruff_cache
