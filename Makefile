# reso — the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck unit integration e2e browser browser-deps bench docs install clean k8s image-check

# Browser tests: Debian's chromium driven by Playwright (no browser download), axe-core from npm.
CHROMIUM ?= /usr/bin/chromium
AXE_VERSION := 4.14.1
AXE := var/browser/node_modules/axe-core/axe.min.js

# Create the virtualenv and install the pinned project (re-done when pyproject.toml changes).
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "reso needs Python >= 3.11 (found $$($(PYTHON) --version))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start the whole platform on this machine (NATS, SMTP sink, SQLite, 4 services, gateway).
run: $(STAMP)
	$(BIN)/reso up

# Workers for `make test` (pytest-xdist). One test mostly waits on processes, NATS, databases and
# SMTP; two at a time keep both cores busy. The tests that run processes and kill them stay in one
# group (tests/conftest.py), on one worker, one at a time.
TEST_WORKERS ?= 2

## Lint, type-check and run every test (unit, integration, e2e) on real NATS, SQLite, PostgreSQL,
## SMTP, on $(TEST_WORKERS) workers; then the browser tests, in a process of their own (Playwright's
## sync API holds the event loop the other tests need).
test: $(STAMP) lint typecheck browser-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup tests/unit tests/integration tests/e2e
	$(BIN)/python -m pytest tests/browser

## Chromium from apt (only if missing; needs root, as in CI) and axe-core from the npm registry.
browser-deps: $(AXE)
	@test -x $(CHROMIUM) || { apt-get update && apt-get install -y --no-install-recommends chromium; }

$(AXE):
	npm install --silent --no-save --no-package-lock --prefix var/browser axe-core@$(AXE_VERSION)

browser: $(STAMP) browser-deps
	$(BIN)/python -m pytest tests/browser

lint: $(STAMP)
	$(BIN)/ruff check contracts services reference tests bench
	$(BIN)/ruff format --check contracts services reference tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration

e2e: $(STAMP)
	$(BIN)/python -m pytest tests/e2e

## Render every overlay of deploy/k8s and validate it (kubectl and kubernetes-validate from the
## dev extras; also part of `make test`, in tests/unit/test_deploy.py).
k8s: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit/test_deploy.py

## Build deploy/Dockerfile with buildah (no Docker daemon or registry needed: a debootstrap'd
## stand-in for the python base image), then migrate PostgreSQL and serve members from the image.
image-check: $(STAMP)
	sh deploy/check-image.sh

## Benchmarks: print `name: value unit (baseline value, ratio r)` lines.
bench: $(STAMP) var/postfix/usr/sbin/smtp-sink
	$(BIN)/python -m bench

# Postfix's smtp-sink and smtp-source for bench/send.py, extracted from Debian's package without
# installing or running a mail daemon (skipped, with the aiosmtpd sink instead, where apt fails).
var/postfix/usr/sbin/smtp-sink:
	@mkdir -p var/postfix-deb
	@cd var/postfix-deb && apt-get download postfix >/dev/null 2>&1 \
		&& dpkg -x postfix_*.deb ../postfix \
		|| echo "postfix not extracted: bench/send.py uses the aiosmtpd sink"
	@rm -rf var/postfix-deb

## Regenerate docs/asyncapi/*.json and docs/openapi.json from the code.
docs: $(STAMP)
	$(BIN)/reso docs --out docs

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
