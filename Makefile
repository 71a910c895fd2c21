# Every command a developer or CI needs. The virtualenv is made on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make run` installs only requirements-run.txt; training and the tests add requirements-dev.txt.
RUN_INSTALLED := $(VENV)/.installed-run
INSTALLED := $(VENV)/.installed
# The sagemaker SDK and moto (about 1 GB): only the tests pull them, never `make run`.
TRAINING_INSTALLED := $(VENV)/.installed-training
STAGE ?= dev
REGION ?= us-east-1

.PHONY: run train test lint unit package policy bench wrk chromium clean fuzz-long bench-overall

$(RUN_INSTALLED): requirements.txt requirements-run.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 declares pip<26.3
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-run.txt
	touch $(RUN_INSTALLED)

$(INSTALLED): $(RUN_INSTALLED) requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(INSTALLED)

# Constrained by the dev pins, so the SDK can never move a package the rest of the tree pins.
$(TRAINING_INSTALLED): $(INSTALLED) requirements-training.txt
	$(BIN)/pip install --quiet -r requirements-training.txt -c requirements.txt -c requirements-dev.txt
	touch $(TRAINING_INSTALLED)

## run: the API on http://127.0.0.1:8000 in front of the local SageMaker stand-in serving the committed model
run: $(RUN_INSTALLED)
	$(BIN)/python -m devserver

## train: refit the local model; rewrites models/wdbc-local/ and its card chalicelib/model_cards/local.json together
train: $(INSTALLED)
	$(BIN)/python -m training train --target local
	$(BIN)/python -m training card

## test: lint, types, and every test with the coverage gate
test: lint unit

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

unit: $(INSTALLED) $(TRAINING_INSTALLED) chromium
	$(BIN)/pytest --cov --cov-report=term

## package: the Lambda zip and SAM template for STAGE with its usage plan, API key and policy
package: $(INSTALLED)
	rm -rf build/$(STAGE) build/merge-template-$(STAGE).json
	$(BIN)/python -m deploy merge-template --stage $(STAGE) --output build/merge-template-$(STAGE).json
	AWS_DEFAULT_REGION=$(REGION) $(BIN)/chalice package \
	  --merge-template build/merge-template-$(STAGE).json --stage $(STAGE) build/$(STAGE)
	$(BIN)/python -m deploy check-package build/$(STAGE)
	$(BIN)/cfn-lint --regions $(REGION) -- build/$(STAGE)/sam.json
	@ls -l build/$(STAGE)/deployment.zip

## policy: write .chalice/policy-STAGE.json with literal ARNs, for `chalice deploy` (needs ACCOUNT)
policy: $(INSTALLED)
	@test -n "$(ACCOUNT)" || { echo "make policy: set ACCOUNT=<12-digit account id>" >&2; exit 2; }
	@test "$(origin REGION)" != file || { echo "make policy: set REGION=<region>" >&2; exit 2; }
	$(BIN)/python -m deploy policy --stage $(STAGE) --account $(ACCOUNT) --region $(REGION)

## bench: the benchmark script (bench-overall), about two minutes; quiet machine preferred
bench: bench-overall

## fuzz-long: the property-based fuzz tests with 100,000 examples in all, randomised (minutes)
fuzz-long: $(INSTALLED)
	FUZZ_PROFILE=long $(BIN)/pytest -p no:cacheprovider --hypothesis-show-statistics \
	  tests/test_fuzz_json.py tests/test_fuzz_rows.py

## bench-overall: zip size, import time, in-process cost, the local stack and stand-in with wrk, as ratios
bench-overall: $(INSTALLED) wrk
	$(BIN)/python -m benchmarks.overall

wrk:
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

## chromium: Debian's Chromium for the demo page's browser tests (apt-get, as root), if missing
chromium:
	@test -x /usr/bin/chromium || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

clean:
	rm -rf build artifacts .pytest_cache .mypy_cache .ruff_cache .coverage
