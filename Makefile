# The two commands of the quick start: `make demo` and `make test`.
# Both create (or reuse) a virtual environment in .venv and install what they need.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench clean-demo

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "governance needs Python >= 3.11: run make with PYTHON=python3.11 (or newer)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing governance and its dependencies into $(VENV) ..."
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,postgres]'
	@$(BIN)/python -c 'import weasyprint' 2>/dev/null || { \
	  echo "WeasyPrint cannot load Pango, which PDF reports need."; \
	  echo "On Debian/Ubuntu: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"; \
	  exit 1; }
	@touch $(STAMP)

demo: $(STAMP)
	@$(BIN)/python samples/adult-income/demo.py --out out/demo

test: $(STAMP)
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy governance

bench: $(STAMP)
	@BENCH=$(BENCH) $(BIN)/python benchmarks/run.py

clean-demo:
	rm -rf out/demo
