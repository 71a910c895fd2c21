# Every command a developer or CI needs. The virtualenv is made on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
STAGE ?= dev
REGION ?= us-east-1

.PHONY: run train test lint unit package bench bench-http bench-batch wrk clean

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $(INSTALLED)

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

unit: $(INSTALLED)
	$(BIN)/pytest --cov --cov-report=term

## package: the Lambda zip and SAM template for STAGE, as `chalice deploy` would build them
package: $(INSTALLED)
	rm -rf build/$(STAGE)
	AWS_DEFAULT_REGION=$(REGION) $(BIN)/chalice package --stage $(STAGE) build/$(STAGE)
	@ls -l build/$(STAGE)/deployment.zip

## bench: every benchmark (takes about two minutes; quiet machine preferred)
bench: bench-http bench-batch

## bench-http: the stand-in and the local stack against their floors, with wrk
bench-http: $(INSTALLED) wrk
	$(BIN)/python -m benchmarks.local_stack

## bench-batch: rows per second, 1,000 single requests against one 1,000-row batch
bench-batch: $(INSTALLED)
	$(BIN)/python -m benchmarks.batch

wrk:
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

clean:
	rm -rf build artifacts .pytest_cache .mypy_cache .ruff_cache .coverage
