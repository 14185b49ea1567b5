# Togglr: every workflow. `make` alone lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-8)
UI_STAMP := webui/dist/.built
UI_SOURCES := $(shell find webui/src webui/public webui/index.html webui/package.json webui/package-lock.json webui/vite.config.ts webui/tsconfig.json webui/tsconfig.app.json webui/postcss.config.cjs -type f 2>/dev/null)

.DEFAULT_GOAL := help
.PHONY: help install run test test-fast lint fmt typecheck check webui openapi bench clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP) ## create .venv and install Togglr with its dev tools

$(UI_STAMP): $(UI_SOURCES)
	@if [ -f webui/package.json ]; then \
	  cd webui && npm ci --no-audit --no-fund --loglevel=error && npm run build && touch dist/.built; \
	else echo "no webui/ yet"; mkdir -p webui/dist; touch $(UI_STAMP); fi

webui: $(UI_STAMP) ## build the web UI (npm ci && npm run build)

run: install webui ## migrate and serve everything on http://127.0.0.1:8080 (SQLite, in-process bus)
	$(BIN)/togglr serve

test: install webui ## run the whole test suite (SQLite; PostgreSQL, NATS, browser when available, always in CI)
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test-fast: install ## unit and spec tests only
	$(BIN)/pytest -q tests/unit tests/spec

lint: install ## ruff and the import contracts
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

fmt: install ## format the code
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

typecheck: install ## mypy --strict on the pure cores
	$(BIN)/mypy

check: lint typecheck test ## what CI runs

openapi: install ## regenerate spec/openapi/*.json (and the web UI client)
	$(BIN)/togglr openapi --output spec/openapi/admin.json
	@if [ -f webui/package.json ]; then cd webui && { test -d node_modules || npm ci --no-audit --no-fund --loglevel=error; } && npm run generate-api; fi

bench: install ## in-process engine benchmark (HTTP benchmarks: see docs/benchmarks.md)
	$(BIN)/python bench/engine.py

clean: ## remove build products and caches
	rm -rf $(VENV) webui/node_modules webui/dist .pytest_cache .mypy_cache .ruff_cache
