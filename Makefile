# Every command a developer or CI needs. The virtualenv is made on first use.
# Python 3.13, the Lambda's runtime, where it exists and runs (a pyenv shim whose version is not
# selected does not: then pyenv's own copy), else python3.
PYTHON ?= $(shell for python in python3.13 $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13); \
  do $$python -c 'import sys; print(sys.executable)' 2>/dev/null && break; done || echo python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# The sagemaker SDK and moto (about 1 GB): only the tests pull them, never `make run`.
TRAINING_INSTALLED := $(VENV)/.installed-training
# checkov pins what it needs apart from our pins (requirements-checkov.txt), in a venv of its own.
CHECKOV := .venv-checkov/bin/checkov
STAGE ?= dev
REGION ?= us-east-1

.PHONY: run train test lint unit package policy bench bench-http bench-batch wrk chromium clean \
	fuzz-long load bench-overall

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 declares pip<26.3
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $(INSTALLED)

# Constrained by the dev pins, so the SDK can never move a package the rest of the tree pins.
$(TRAINING_INSTALLED): $(INSTALLED) requirements-training.txt
	$(BIN)/pip install --quiet -r requirements-training.txt -c requirements.txt -c requirements-dev.txt
	touch $(TRAINING_INSTALLED)

$(CHECKOV): requirements-checkov.txt
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet -r requirements-checkov.txt
	touch $(CHECKOV)

## run: the API on http://127.0.0.1:8000 in front of the local SageMaker stand-in (trains first if needed)
run: $(INSTALLED)
	$(BIN)/python -m devserver

## train: fit the local model into artifacts/local/
train: $(INSTALLED)
	$(BIN)/python -m training train --target local

## test: lint, types, and every test with the coverage gate
test: lint unit

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

unit: $(INSTALLED) $(TRAINING_INSTALLED) $(CHECKOV) chromium
	$(BIN)/pytest --cov --cov-report=term

## package: the Lambda zip and SAM template for STAGE, and the same on the private path with
## example ids; cfn-lint and checkov on both templates
package: $(INSTALLED) $(CHECKOV)
	rm -rf build/$(STAGE) build/$(STAGE)-private build/merge-template-$(STAGE)*.json
	$(BIN)/python -m deploy merge-template --stage $(STAGE) --output build/merge-template-$(STAGE).json
	$(BIN)/python -m deploy merge-template --stage $(STAGE) --example-network \
	  --output build/merge-template-$(STAGE)-private.json
	AWS_DEFAULT_REGION=$(REGION) $(BIN)/chalice package \
	  --merge-template build/merge-template-$(STAGE).json --stage $(STAGE) build/$(STAGE)
	AWS_DEFAULT_REGION=$(REGION) $(BIN)/chalice package \
	  --merge-template build/merge-template-$(STAGE)-private.json --stage $(STAGE) build/$(STAGE)-private
	$(BIN)/python -m deploy check-package build/$(STAGE)
	$(BIN)/cfn-lint --regions $(REGION) -- build/$(STAGE)/sam.json build/$(STAGE)-private/sam.json
	$(CHECKOV) --quiet --compact --skip-download --framework cloudformation \
	  -f build/$(STAGE)/sam.json -f build/$(STAGE)-private/sam.json
	@ls -l build/$(STAGE)/deployment.zip

## policy: write .chalice/policy-STAGE.json with literal ARNs, for `chalice deploy` (needs ACCOUNT;
## VPC_ENDPOINT=vpce-... too on a private stage)
policy: $(INSTALLED)
	@test -n "$(ACCOUNT)" || { echo "make policy: set ACCOUNT=<12-digit account id>" >&2; exit 2; }
	@test "$(origin REGION)" != file || { echo "make policy: set REGION=<region>" >&2; exit 2; }
	$(BIN)/python -m deploy policy --stage $(STAGE) --account $(ACCOUNT) --region $(REGION) \
	  $(if $(VPC_ENDPOINT),--vpc-endpoint $(VPC_ENDPOINT))

## bench: every benchmark (takes about two minutes; quiet machine preferred)
bench: bench-http bench-batch

## bench-http: the stand-in and the local stack against their floors, with wrk
bench-http: $(INSTALLED) wrk
	$(BIN)/python -m benchmarks.local_stack

## bench-batch: rows per second, 1,000 single requests against one 1,000-row batch
bench-batch: $(INSTALLED)
	$(BIN)/python -m benchmarks.batch

## fuzz-long: the property-based fuzz tests with 100,000 examples in all, randomised (minutes)
fuzz-long: $(INSTALLED)
	FUZZ_PROFILE=long $(BIN)/pytest -p no:cacheprovider --hypothesis-show-statistics \
	  tests/test_fuzz_json.py tests/test_fuzz_rows.py

## load: bounded load with wrk on 127.0.0.1: the local stack and the stand-in, 30 s at 8 and 32 connections
load: $(INSTALLED) wrk
	$(BIN)/python -m benchmarks.load

## bench-overall: zip size, import time, in-process cost, stand-in and batch figures, as ratios
bench-overall: $(INSTALLED) wrk
	$(BIN)/python -m benchmarks.overall

wrk:
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

## chromium: Debian's Chromium for the demo page's browser tests (apt-get, as root), if missing
chromium:
	@test -x /usr/bin/chromium || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

clean:
	rm -rf build artifacts .venv-checkov .pytest_cache .mypy_cache .ruff_cache .coverage
