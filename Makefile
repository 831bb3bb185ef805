# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test soak lint bench browser-deps pg-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

## demo: install and run Storedesk with the demo stores on http://127.0.0.1:8080
demo: $(VENV)/.installed
	$(BIN)/storedesk --config examples/demo.toml serve

## browser-deps: Debian chromium for the browser tests (no browser download)
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

## pg-deps: Debian PostgreSQL server (the tests start a throwaway cluster with initdb)
pg-deps:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing Debian postgresql for the tests"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql >/dev/null; }

## lint: ruff lint and format check
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## test: lint, then the whole suite (unit, integration, end-to-end, browser)
# Two workers, each with its own PostgreSQL cluster and temp dirs: much of the suite waits
# on sockets and subprocesses, so two share two cores well. TEST_WORKERS=0 runs in-process.
TEST_WORKERS ?= 2
test: $(VENV)/.installed-test browser-deps pg-deps lint
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal

## soak: the kill test at 10,000 messages in all (make test runs it at 2,000)
soak: $(VENV)/.installed-test pg-deps
	STOREDESK_KILL_MESSAGES=5000 $(BIN)/pytest -q -s tests/reliability

## bench: pipeline against raw webhook-to-callback forwarding, in the same run
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench.pipeline

clean:
	rm -rf $(VENV) data test-artifacts
