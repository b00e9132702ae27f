# The two commands of the quick start: `make demo` and `make test` (docs/install.md).
#
# Both install into a virtual environment in .venv the exact, hash-checked versions of
# requirements/*.lock: `make demo` the runtime (governance[full]), `make test` also the
# development tools. An install is redone when its lock changes (the stamp is named after the
# lock's digest), and every run first checks that .venv still holds the locked versions.
#   make lock          re-resolve the locks after a change to pyproject.toml (keeps other pins)
#   make lock-upgrade  re-resolve the locks with the newest versions
#   make test-latest   the suite on the newest versions, in .venv-latest: drift seen on purpose
#   make sync          reinstall .venv from the locks
#   make schema        regenerate governance/record/evaluation-record.schema.json

PYTHON ?= python3
VENV ?= .venv
LATEST_VENV ?= .venv-latest
BIN := $(VENV)/bin
RUNTIME_LOCK := requirements/runtime.lock
DEV_LOCK := requirements/dev.lock
# what the locks are resolved for: CI's Python and platform
LOCK_PYTHON := 3.11
LOCK_PLATFORM := x86_64-manylinux_2_28
UV_VERSION := 0.13.9

digest = $(if $(wildcard $(1)),$(shell $(PYTHON) -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()[:16])' $(1)),none)
RUNTIME_STAMP := $(VENV)/.installed-runtime-$(call digest,$(RUNTIME_LOCK))
DEV_STAMP := $(VENV)/.installed-dev-$(call digest,$(DEV_LOCK))

PIP := $(BIN)/python -m pip --disable-pip-version-check --no-input
# A locked install takes every package from the index the lock was resolved against (PyPI, or
# PIP_INDEX_URL) and checks its hash; extra indexes configured for pip are not consulted (pip
# skips an empty setting, so the list is set to one blank).
NO_EXTRA_INDEX := PIP_EXTRA_INDEX_URL=' '
LOCKED_INSTALL := $(NO_EXTRA_INDEX) $(PIP) install --quiet --no-deps --require-hashes
# The project itself, editable, built with the locked setuptools (no unlocked build packages).
# setuptools says "Editable installation..." as a warning on every editable install: not shown.
EDITABLE_INSTALL := PYTHONWARNINGS='ignore:Editable installation:UserWarning' \
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
CHECK_ENV := $(BIN)/python requirements/check.py --fix 'make sync'

.PHONY: demo test test-latest lint typecheck schema bench clean-demo lock lock-upgrade sync

demo: $(RUNTIME_STAMP)
	@$(CHECK_ENV) $(RUNTIME_LOCK)
	@$(BIN)/python samples/adult-income/demo.py --out out/demo

test: $(DEV_STAMP)
	@$(CHECK_ENV) $(DEV_LOCK)
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "governance needs Python >= 3.11: run make with PYTHON=python3.11 (or newer)")'
	@$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing governance into $(VENV) from $(RUNTIME_LOCK) ..."
	@$(LOCKED_INSTALL) -r $(RUNTIME_LOCK)
	@$(EDITABLE_INSTALL)
	@$(CHECK_ENV) --python $(LOCK_PYTHON) $(RUNTIME_LOCK)
	@$(MAKE) --no-print-directory pango-check
	@rm -f $(VENV)/.installed-runtime-*
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing governance and its development tools into $(VENV) from $(DEV_LOCK) ..."
	@$(LOCKED_INSTALL) -r $(DEV_LOCK)
	@$(EDITABLE_INSTALL)
	@$(CHECK_ENV) --python $(LOCK_PYTHON) $(DEV_LOCK)
	@$(MAKE) --no-print-directory pango-check
	@rm -f $(VENV)/.installed-dev-*
	@touch $@

.PHONY: pango-check
pango-check:
	@$(BIN)/python -c 'import weasyprint' 2>/dev/null || { \
	  echo "WeasyPrint cannot load Pango, which PDF reports need."; \
	  echo "On Debian/Ubuntu: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"; \
	  exit 1; }

sync: | $(BIN)/python
	@if ls $(VENV)/.installed-dev-* >/dev/null 2>&1; \
	then stamp=$(DEV_STAMP) lock=$(DEV_LOCK); else stamp=$(RUNTIME_STAMP) lock=$(RUNTIME_LOCK); fi; \
	rm -f $(VENV)/.installed-*; \
	$(MAKE) --no-print-directory "$$stamp" && $(CHECK_ENV) "$$lock"

# The newest versions pyproject.toml allows, in their own environment; the lock is untouched.
test-latest:
	@test -x $(LATEST_VENV)/bin/python || $(PYTHON) -m venv $(LATEST_VENV)
	@echo "Installing the newest versions into $(LATEST_VENV) ..."
	@$(NO_EXTRA_INDEX) $(LATEST_VENV)/bin/python -m pip install --quiet \
	  --disable-pip-version-check --upgrade pip setuptools
	@$(NO_EXTRA_INDEX) PYTHONWARNINGS='ignore:Editable installation:UserWarning' \
	  $(LATEST_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
	  --upgrade --upgrade-strategy eager -e '.[full,postgres,dev]'
	@$(LATEST_VENV)/bin/python requirements/check.py --drift $(DEV_LOCK)
	@$(LATEST_VENV)/bin/python -m pytest -W default::DeprecationWarning \
	  -W default::PendingDeprecationWarning -W default::UserWarning $(PYTEST_ARGS)

# uv resolves; it runs from a throwaway virtual environment. The runtime lock is resolved
# within the development lock, so the two never pin different versions.
UV_COMPILE = "$$tmp/bin/uv" pip compile --quiet --generate-hashes \
	--python-version $(LOCK_PYTHON) --python-platform $(LOCK_PLATFORM) \
	--custom-compile-command 'make lock' $(UV_FLAGS)

lock:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) -m venv "$$tmp" && \
	$(NO_EXTRA_INDEX) "$$tmp/bin/python" -m pip install --quiet --disable-pip-version-check \
	  uv==$(UV_VERSION) && \
	$(UV_COMPILE) pyproject.toml requirements/build.in \
	  --extra full --extra postgres --extra dev -o $(DEV_LOCK) && \
	$(UV_COMPILE) pyproject.toml requirements/build.in \
	  --extra full --constraint $(DEV_LOCK) -o $(RUNTIME_LOCK)
	@echo "Wrote $(DEV_LOCK) and $(RUNTIME_LOCK); \`make test\` installs them."

lock-upgrade:
	@$(MAKE) --no-print-directory lock UV_FLAGS=--upgrade

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(DEV_STAMP)
	$(BIN)/mypy governance

# the evaluation record's JSON Schema, regenerated from its models (governance/record)
schema: $(RUNTIME_STAMP)
	$(BIN)/python -m governance.record

bench: $(DEV_STAMP)
	@BENCH=$(BENCH) $(BIN)/python benchmarks/run.py

clean-demo:
	rm -rf out/demo
