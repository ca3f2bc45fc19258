# modemhunt: every target makes its own virtual environment in .venv from this repo's files.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-$(shell cat pyproject.toml | $(PYTHON) -c "import hashlib,sys;print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:12])")
OUT    ?= build/demo

.PHONY: demo test lint typecheck check venv clean

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

## Quick start 1: simulate the built-in crane-cabinet scene, analyse it, write the inspection report.
demo: $(STAMP)
	@mkdir -p $(OUT)
	$(BIN)/rfscan simulate crane-cabinet -o $(OUT)/crane-cabinet
	$(BIN)/rfscan analyze $(OUT)/crane-cabinet.sigmf-meta --json $(OUT)/crane-cabinet.json --html $(OUT)/crane-cabinet.html
	$(BIN)/rfscan report $(OUT)/crane-cabinet.json --asset "crane-cabinet (simulated)" -o $(OUT)/inspection.html --json $(OUT)/inspection.json
	@echo "open $(OUT)/inspection.html (the inspection) or $(OUT)/crane-cabinet.html (the recording)"

## Quick start 2: the whole test suite, with lint and type checks.
test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check rfscan serialprobe tests benchmarks
	$(BIN)/ruff format --check rfscan serialprobe tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
