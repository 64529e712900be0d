# The two commands a newcomer needs:  make demo   and   make test
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# test files run in this many processes at once (pytest-xdist; each test file stays in one)
TEST_WORKERS ?= 2

.PHONY: setup demo test lint fast bench clean

$(STAMP): pyproject.toml scripts/setup.sh
	scripts/setup.sh
	touch $(STAMP)

setup: $(STAMP)

## Set everything up, then run the demo (LMGT vs baseline on CartPole, embedded LLM).
demo: setup
	$(BIN)/langreward demo

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

## Set everything up, then run lint, the layering contract, the type check (mypy) and every test.
test: setup lint
	scripts/install_chromium.sh
	$(BIN)/pytest -q -ra -n $(TEST_WORKERS) --dist loadfile

## Only the fast tier (scripted LLM, no embedded model).
fast: setup
	$(BIN)/pytest -q -m "not embedded"

bench: setup
	$(BIN)/python benchmarks/llm_throughput.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache
