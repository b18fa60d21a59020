# Rapport: `make run` starts the whole system, `make test` runs every test.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: run credentials token rotate-keys test test-unit test-integration test-e2e lint format bench provision asyncapi rebuild clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## start nats-server (unless NATS_URL is set), every service and the gateway
	$(BIN)/python -m shared.runtime

credentials: $(STAMP)  ## NATS passwords per identity and the server's authorization under ./var/secrets (once; make run does it too)
	$(BIN)/python -m shared.messaging.credentials

HANDLE ?= ana
ROLE   ?= member
token: $(STAMP)  ## print a development token: make token HANDLE=ana ROLE=member [TEAM=design] (ROLE: member, analyst, operator, comma separated)
	@$(BIN)/python -m services.issuer token '$(HANDLE)' '$(ROLE)' $(if $(TEAM),--team '$(TEAM)')

rotate-keys: $(STAMP)  ## the development issuer signs with a new key; the previous one stays published
	$(BIN)/python -m services.issuer rotate

test: $(STAMP)  ## unit, integration and end-to-end tests (PostgreSQL too when TEST_DATABASE_URL is set)
	$(BIN)/python -m pytest -q tests/unit tests/integration tests/e2e

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

test-integration: $(STAMP)
	$(BIN)/python -m pytest -q tests/integration

test-e2e: $(STAMP)
	$(BIN)/python -m pytest -q tests/e2e

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)  ## benchmarks print their figures
	$(BIN)/python -m bench

provision: $(STAMP)  ## create streams and consumers on $$NATS_URL
	$(BIN)/python -m shared.messaging.provisioning

asyncapi: $(STAMP)  ## regenerate docs/asyncapi/<service>.json from the services' brokers
	$(BIN)/python -m shared.asyncapi --write docs/asyncapi

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

rebuild: $(STAMP)  ## replay the streams into a fresh aggregator projection, then switch to it
	$(BIN)/python -m services.aggregator.rebuild
