# Every command a developer or CI needs. The virtualenv is made on first use.
# Python 3.13, the Lambda's runtime, where it exists and runs (a pyenv shim whose version is not
# selected does not: then pyenv's own copy), else python3.
PYTHON ?= $(shell for python in python3.13 $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13); \
  do $$python -c 'import sys; print(sys.executable)' 2>/dev/null && break; done || echo python3)
VENV := .venv
BIN := $(VENV)/bin
# `make run` installs only requirements-run.txt; training and the tests add requirements-dev.txt.
RUN_INSTALLED := $(VENV)/.installed-run
# xgboost, for `make run` of a model whose folder holds xgboost-model.json (the tests have it too).
XGBOOST_INSTALLED := $(VENV)/.installed-xgboost
INSTALLED := $(VENV)/.installed
# The sagemaker SDK and moto (about 1 GB): only the tests pull them, never `make run`.
TRAINING_INSTALLED := $(VENV)/.installed-training
# checkov pins what it needs apart from our pins (requirements-checkov.txt), in a venv of its own.
CHECKOV := .venv-checkov/bin/checkov
# MkDocs for the docs site, and the AWS CLI the docs test parses the docs' aws commands with.
DOCS_BIN := .venv-docs/bin
MKDOCS := $(DOCS_BIN)/mkdocs
STAGE ?= dev
REGION ?= us-east-1
# From npm, into node_modules/: Postman's collection runner, for tests/integration/test_postman.py,
# and axe-core, the accessibility checks tests/integration/test_web_page.py runs in Chromium.
NEWMAN_VERSION := 6.2.2
NEWMAN := node_modules/.bin/newman
AXE_CORE_VERSION := 4.14.1
AXE_CORE := node_modules/axe-core/package.json

.PHONY: run train check test lint package policy bench wrk chromium newman axe-core clean \
	fuzz-long bench-overall docs screenshots training-tools

# The venv is made once; a changed requirements file only installs into it.
$(RUN_INSTALLED): requirements.txt requirements-run.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 declares pip<26.3
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-run.txt
	touch $(RUN_INSTALLED)

$(INSTALLED): $(RUN_INSTALLED) requirements-dev.txt requirements-xgboost.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(INSTALLED)

$(XGBOOST_INSTALLED): $(RUN_INSTALLED) requirements-xgboost.txt
	$(BIN)/pip install --quiet -r requirements-xgboost.txt
	touch $(XGBOOST_INSTALLED)

# Constrained by the dev pins, so the SDK can never move a package the rest of the tree pins.
$(TRAINING_INSTALLED): $(INSTALLED) requirements-training.txt
	$(BIN)/pip install --quiet -r requirements-training.txt -c requirements.txt -c requirements-dev.txt
	touch $(TRAINING_INSTALLED)

$(CHECKOV): requirements-checkov.txt
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet -r requirements-checkov.txt
	touch $(CHECKOV)

$(MKDOCS): requirements-docs.txt
	$(PYTHON) -m venv .venv-docs
	$(DOCS_BIN)/pip install --quiet -r requirements-docs.txt
	touch $(MKDOCS)

## run: the API on http://127.0.0.1:8000 in front of the local SageMaker stand-in serving the committed
## model (MODEL=NAME serves models/NAME/ instead of the default, wdbc; PORT=N the API on port N,
## STANDIN_PORT=N the stand-in, instead of 8080; 0 picks a free port)
run: $(RUN_INSTALLED) $(if $(wildcard models/$(MODEL)/xgboost-model.json),$(XGBOOST_INSTALLED))
	$(BIN)/python -m devserver $(if $(MODEL),--model $(MODEL)) $(if $(PORT),--port $(PORT)) \
	  $(if $(STANDIN_PORT),--standin-port $(STANDIN_PORT))

## train: refit every shipped example (MODEL=NAME: that one); rewrites each models/NAME/ (its
## pictures too) and its card chalicelib/model_cards/NAME.json together
train: $(INSTALLED)
	set -e; for model in $(or $(MODEL),$$($(BIN)/python -c 'from training.data import DATASETS; print(*DATASETS)')); do \
	  $(BIN)/python -m training train --target local --model $$model; \
	  $(BIN)/python -m training card --model models/$$model; done

## check: while editing: lint, types and tests/unit (in process: no server, process, browser or
## SDK), in seconds
check: lint $(INSTALLED)
	FUZZ_PROFILE=check $(BIN)/pytest -q tests/unit

## test: the full gate and what CI runs: lint, types, the docs build, then tests/unit,
## tests/functional (real local servers and processes) and tests/integration (the SDK under moto,
## Chromium, newman, the packaged templates, the docs' commands) with the coverage gate;
## REQUIRE_OPTIONAL=1: a test that would skip for want of the SDK, Chromium or newman fails instead
test: lint docs newman $(INSTALLED) $(TRAINING_INSTALLED) $(CHECKOV) $(MKDOCS) chromium
	REQUIRE_OPTIONAL=1 $(BIN)/pytest --cov --cov-report=term tests/unit tests/functional tests/integration

## docs: the documentation site from docs/ into build/site; a warning fails it (--strict)
docs: $(MKDOCS)
	NO_MKDOCS_2_WARNING=1 $(MKDOCS) build --strict

## screenshots: retake the page's pictures in docs/images/ from the running stack, in Chromium
screenshots: $(INSTALLED) chromium
	$(BIN)/python -m devserver.screenshots

## training-tools: the SageMaker SDK and moto in .venv, for training and hosting on AWS (about 1 GB)
training-tools: $(TRAINING_INSTALLED)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## package: the Lambda zip and SAM template for STAGE, and the same on the private path with
## example ids; cfn-lint and checkov on both templates
package: $(INSTALLED) $(CHECKOV)
	rm -rf build/$(STAGE) build/$(STAGE)-private build/merge-template-$(STAGE)*.json
	find chalicelib -name __pycache__ -type d -prune -exec rm -rf {} +  # Chalice zips them too
	$(BIN)/python -m deploy api template --stage $(STAGE) --output build/merge-template-$(STAGE).json
	$(BIN)/python -m deploy api template --stage $(STAGE) --example-network \
	  --output build/merge-template-$(STAGE)-private.json
	AWS_DEFAULT_REGION=$(REGION) $(BIN)/chalice package \
	  --merge-template build/merge-template-$(STAGE).json --stage $(STAGE) build/$(STAGE)
	AWS_DEFAULT_REGION=$(REGION) $(BIN)/chalice package \
	  --merge-template build/merge-template-$(STAGE)-private.json --stage $(STAGE) build/$(STAGE)-private
	$(BIN)/python -m deploy api check build/$(STAGE)
	$(BIN)/cfn-lint --regions $(REGION) -- build/$(STAGE)/sam.json build/$(STAGE)-private/sam.json
	$(CHECKOV) --quiet --compact --skip-download --framework cloudformation \
	  -f build/$(STAGE)/sam.json -f build/$(STAGE)-private/sam.json
	@ls -l build/$(STAGE)/deployment.zip

## policy: write .chalice/policy-STAGE.json with literal ARNs, for `chalice deploy` (needs ACCOUNT;
## VPC_ENDPOINT=vpce-... too on a private stage)
policy: $(INSTALLED)
	@test -n "$(ACCOUNT)" || { echo "make policy: set ACCOUNT=<12-digit account id>" >&2; exit 2; }
	@test "$(origin REGION)" != file || { echo "make policy: set REGION=<region>" >&2; exit 2; }
	$(BIN)/python -m deploy api policy --stage $(STAGE) --account $(ACCOUNT) --region $(REGION) \
	  $(if $(VPC_ENDPOINT),--vpc-endpoint $(VPC_ENDPOINT))

## bench: the benchmark script (bench-overall), about two minutes; quiet machine preferred
bench: bench-overall

## fuzz-long: the property-based fuzz tests with 100,000 examples in all, randomised (minutes)
fuzz-long: $(INSTALLED)
	FUZZ_PROFILE=long $(BIN)/pytest -p no:cacheprovider --hypothesis-show-statistics \
	  tests/unit/test_fuzz_json.py tests/unit/test_fuzz_rows.py

## bench-overall: zip size, import time, in-process cost, the local stack and stand-in with wrk, as ratios
bench-overall: $(INSTALLED) wrk
	$(BIN)/python -m benchmarks.overall

wrk:
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

## chromium: a Chromium for the demo page's browser tests: Debian's (apt-get, as root), else Playwright's
chromium: $(INSTALLED)
	@test -x /usr/bin/chromium || if command -v apt-get >/dev/null; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else $(BIN)/python -m playwright install chromium; fi

## newman, axe-core: Postman's collection runner and the accessibility engine (npm, pinned) into
## node_modules/, for tests/integration/test_postman.py and test_web_page.py; one install for both, as
## npm removes from node_modules/ what a later install without a package.json does not name
newman axe-core:
	@test "$$($(NEWMAN) --version 2>/dev/null)" = $(NEWMAN_VERSION) \
	  && grep -q '"version": "$(AXE_CORE_VERSION)"' $(AXE_CORE) 2>/dev/null || { \
	  { command -v node && command -v npm; } >/dev/null || { \
	    echo "make $@: newman and axe-core need node (16 or later) and npm" >&2; exit 1; }; \
	  npm install --prefix . --no-save --no-package-lock --no-audit --no-fund \
	    newman@$(NEWMAN_VERSION) axe-core@$(AXE_CORE_VERSION); }

clean:
	rm -rf build artifacts .venv-checkov .venv-docs .pytest_cache .mypy_cache .ruff_cache .coverage node_modules
