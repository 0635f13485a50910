# The two commands that set up everything on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

# The oldest end of the dependency ranges (.ci/oldest.txt), in an environment of its own.
OLDEST := .venv-oldest
OLDEST_STAMP := $(OLDEST)/.installed-$(shell cat pyproject.toml .ci/oldest.txt | cksum | cut -d' ' -f1)
# `make serve` needs the package alone; the test tools come with `make test`.
SERVE_STAMP := $(VENV)/.serves-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: serve test test-oldest bench lint typecheck check clean

$(SERVE_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e .
	rm -f $(VENV)/.serves-* && touch $@

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@ && touch $(SERVE_STAMP)

serve: $(SERVE_STAMP)
	$(BIN)/connectlocal serve

# The whole suite over HTTP against real servers, then the end-to-end tests again in-process
# (mock_connect), and over HTTP again against servers on PostgreSQL, from the same test code.
test: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/mypy
	$(BIN)/pytest
	CONNECTLOCAL_TEST_TRANSPORT=inprocess $(BIN)/pytest tests/api
	CONNECTLOCAL_TEST_STORE=postgresql $(BIN)/pytest tests/api -q
	$(MAKE) test-oldest

$(OLDEST_STAMP): pyproject.toml .ci/oldest.txt
	test -x $(OLDEST)/bin/python || $(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet -c .ci/oldest.txt -e '.[test]'
	$(OLDEST)/bin/python .ci/pinned_model.py $(OLDEST)/pinned-model
	rm -f $(OLDEST)/.installed-* && touch $@

# The API tests in-process and the mock tests on the oldest botocore/boto3 the ranges admit.
# Their clients read the pinned model (AWS_DATA_PATH): an older botocore's own Connect model
# lacks members added since, which its parser drops (docs/design/model-pin.md). The mock's
# forms run once more with that botocore's own model.
test-oldest: $(OLDEST_STAMP)
	$(OLDEST)/bin/python -c "import botocore, boto3; print('botocore', botocore.__version__, 'boto3', boto3.__version__)"
	AWS_DATA_PATH=$(CURDIR)/$(OLDEST)/pinned-model CONNECTLOCAL_TEST_TRANSPORT=inprocess \
	  $(OLDEST)/bin/pytest -p no:cacheprovider tests/api
	AWS_DATA_PATH=$(CURDIR)/$(OLDEST)/pinned-model $(OLDEST)/bin/pytest -p no:cacheprovider \
	  tests/mock tests/protocol/test_model_pin.py
	$(OLDEST)/bin/pytest -p no:cacheprovider tests/mock/test_forms.py

# Benchmarks (bench/README.md): installs the bench extra (moto's server); wrk and nginx come
# from Debian's packages and bench/serve.py installs them if missing. bench/postgres.py wants
# the PostgreSQL server of the tests (127.0.0.1:5432) and its pgbench.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/mock_calls.py
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/serve.py --scaling
	$(BIN)/python bench/serve.py --writes
	$(BIN)/python bench/ctr_import.py
	$(BIN)/python bench/simulate.py
	$(BIN)/python bench/metrics.py
	$(BIN)/python bench/flows.py
	$(BIN)/python bench/postgres.py
	$(BIN)/python bench/postgres.py --http

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(OLDEST) .venv-clients tests/clients/js/node_modules .connectlocal .pytest_cache \
	  .mypy_cache .ruff_cache
