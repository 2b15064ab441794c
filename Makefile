# Every command of the project. `make help` lists them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test test-fast lint format services browser nestjs bench clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements/base.txt requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements/dev.txt
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the pinned requirements

# The NestJS app the cross-service tests run against ours (tests/nestjs): npm packages pinned
# by its package-lock.json, TypeScript compiled once; both redone only when their inputs change.
NESTJS := tests/nestjs
NESTJS_INSTALLED := $(NESTJS)/node_modules/.installed
NESTJS_BUILT := $(NESTJS)/dist/.built

$(NESTJS_INSTALLED): $(NESTJS)/package.json $(NESTJS)/package-lock.json
	cd $(NESTJS) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

$(NESTJS_BUILT): $(NESTJS_INSTALLED) $(NESTJS)/tsconfig.json $(wildcard $(NESTJS)/src/*.ts)
	rm -rf $(NESTJS)/dist
	cd $(NESTJS) && node_modules/.bin/tsc -p tsconfig.json
	touch $@

nestjs: $(NESTJS_BUILT) ## Install and build the NestJS test app (tests/nestjs) with npm

run: install ## Start the whole system (uses or starts PostgreSQL/NATS); Ctrl-C stops it
	$(PY) -m stack run

services: install ## Make sure PostgreSQL and NATS answer (starts an embedded NATS if needed)
	$(PY) -m stack services

browser: ## Install Debian's chromium for the browser tests, if missing
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

lint: install ## ruff lint and format check, and the package rules (import-linter contracts in pyproject.toml)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

format: install ## Format and fix what ruff can
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

test: install services browser lint nestjs ## Run every test (sites, bridge, cross-service, browser)
	$(PY) -m stack.testrun

# The system's processes in the benchmark run from the runtime requirements alone, as in the
# image (bench/README.md); the load generators and the harness from .venv.
RUNTIME_VENV := var/venv-runtime
RUNTIME_STAMP := $(RUNTIME_VENV)/.installed

$(RUNTIME_STAMP): requirements/base.txt
	$(PYTHON) -m venv $(RUNTIME_VENV)
	$(RUNTIME_VENV)/bin/python -m pip install -q --upgrade pip
	$(RUNTIME_VENV)/bin/python -m pip install -q -r requirements/base.txt
	touch $(RUNTIME_STAMP)

bench: install $(RUNTIME_STAMP) ## Run the benchmarks against a freshly started system (see bench/README.md)
	STACK_PYTHON=$(RUNTIME_VENV)/bin/python $(PY) -m bench

clean: ## Remove the virtualenv, logs and local state
	rm -rf $(VENV) var $(NESTJS)/node_modules $(NESTJS)/dist
