# The project's commands. Distributions are found by glob: every extensions/*/pyproject.toml
# (extensions/_template/ is the folder a new extension copies, never built or installed).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTENSIONS := $(filter-out extensions/_template,$(patsubst %/pyproject.toml,%,$(wildcard extensions/*/pyproject.toml)))
EXT_PACKAGES := $(patsubst %/__init__.py,%,$(wildcard $(addsuffix /python_worker_extension_*/__init__.py,$(EXTENSIONS))))
STAMP := $(VENV)/.installed-stamp
RUN_APP ?= samples/timer_app

.PHONY: install test lint typecheck unit matrix run bench dist clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml requirements-dev.txt constraints.txt $(addsuffix /pyproject.toml,$(EXTENSIONS))
	$(BIN)/python -m pip install -q -c constraints.txt -r requirements-dev.txt -e '.[testing]' $(foreach e,$(EXTENSIONS),-e '$(e)[test]')
	touch $@

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check framework extensions tests samples bench examples
	$(BIN)/ruff format --check framework extensions tests samples bench examples

# Checked against the oldest supported Python (pyproject.toml: python_version), with the
# packages a 3.9 app installs (.venv-3.9) when that interpreter is present.
typecheck: $(STAMP)
	$(BIN)/python .ci/python_matrix.py --build-only --python 3.9
	$(BIN)/mypy $$(test -x .venv-3.9/bin/python && echo --python-executable .venv-3.9/bin/python) \
		framework/python_worker_extension_framework $(EXT_PACKAGES) \
		$(wildcard extensions/_template/python_worker_extension_*)

unit: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The in-process tests (contract, gating, wrapper, extensions, samples, docs) under every
# other installed Python the worker supports (3.9, 3.10, 3.12, 3.13), each in its own
# cached .venv-<version>.
matrix: $(STAMP)
	$(BIN)/python .ci/python_matrix.py $(MATRIX_ARGS)

test: lint typecheck unit matrix

run: $(STAMP)
	$(BIN)/funcext start $(RUN_APP)

bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || apt-get install -y -qq wrk >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq wrk >/dev/null 2>&1) || echo "[bench] wrk could not be installed: the host numbers use the Python load generator"
	$(BIN)/python -m pip install -q -r bench/requirements.txt $(foreach e,$(EXTENSIONS),$(if $(shell grep -l '^bench = ' $(e)/pyproject.toml),-e '$(e)[bench]'))
	$(BIN)/python -m bench.run $(BENCH_ARGS)

dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist . >/dev/null
	@for e in $(EXTENSIONS); do $(BIN)/python -m build --outdir dist $$e >/dev/null || exit 1; done
	$(BIN)/twine check dist/*

clean:
	rm -rf $(VENV) .venv-3.* dist build .mypy_cache .ruff_cache .pytest_cache
