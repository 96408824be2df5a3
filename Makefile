# The two set-up commands of the README: `make demo` and `make test`.
# Each creates the project's virtualenv (.venv) if it is missing and installs
# into it what it needs; reinstalls when pyproject.toml changes. `make demo`
# installs the package for the backend it runs on (TensorFlow by default;
# `KERAS_BACKEND=jax make demo` adds JAX), not the other backends or the test
# and docs tools; `make test` installs the dev extras (all three backends,
# pytest, Playwright, MkDocs, ruff, import-linter).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export KERAS_BACKEND ?= tensorflow
DEMO_STAMP := $(VENV)/.demo-$(KERAS_BACKEND)-stamp
DEV_STAMP := $(VENV)/.dev-stamp
# The CPU build of PyTorch (a range would fetch a CUDA build of several GB).
TORCH_PIN ?= torch==2.13.0
DEMO_INSTALL_tensorflow := -e .
DEMO_INSTALL_jax := -e ".[jax]"
DEMO_INSTALL_torch := -e ".[torch]" "$(TORCH_PIN)"
PYTEST_ARGS ?=

# The sample-browser test drives Debian's Chromium with Playwright (which
# downloads no browser of its own); the test set-up installs it if missing.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export KERAS_GAN_CHROMIUM := $(CHROMIUM)

export TF_CPP_MIN_LOG_LEVEL ?= 2
# The Keras backends `make test` runs the suite on, in turn, each on
# PYTEST_WORKERS pytest-xdist workers (0: in one process).
BACKENDS ?= tensorflow jax torch
PYTEST_WORKERS ?= 2

.PHONY: venv demo test test-fast lint format bench docs clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(DEMO_STAMP): pyproject.toml | $(VENV)/bin/python
	@test -n "$(DEMO_INSTALL_$(KERAS_BACKEND))" || { echo "make demo: KERAS_BACKEND must be tensorflow, jax or torch. Received: $(KERAS_BACKEND)"; exit 1; }
	$(PY) -m pip install --quiet $(DEMO_INSTALL_$(KERAS_BACKEND))
	@touch $(DEMO_STAMP)

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(DEV_STAMP)

venv: $(DEV_STAMP)

$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "make test: the browser test needs Chromium at $(CHROMIUM) (Debian: apt-get install chromium), or CHROMIUM=/path/to/chromium"; exit 1; }
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium >/dev/null

# TensorFlow's C++ log at FATAL only: on a machine with an NVIDIA driver
# library but no usable GPU it reports the failed cuInit at error level, which
# reads as a failure of the demo (it then trains on the CPU, and the demo
# prints the device it trains on).
demo: $(DEMO_STAMP)
	TF_CPP_MIN_LOG_LEVEL=3 $(PY) -m keras_gan.cli demo --out runs/demo

# The whole suite once per Keras backend (BACKENDS), each run to the end;
# tests that are inherently TensorFlow are skipped on the others with their
# reason. The three runs share one cache of built feature extractors (the
# digits classifier is trained once). pytest exits 5 when it collects no
# tests: a failure here, not a pass.
test: $(DEV_STAMP) $(CHROMIUM)
	$(VENV)/bin/lint-imports
	@failed=""; export KERAS_GAN_TEST_CACHE=$$(mktemp -d); for backend in $(BACKENDS); do \
	  echo "== make test: KERAS_BACKEND=$$backend"; \
	  KERAS_BACKEND=$$backend $(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests on $$backend (exit 5): failing"; fi; \
	  if [ $$rc -ne 0 ]; then failed="$$failed $$backend"; fi; \
	done; rm -rf "$$KERAS_GAN_TEST_CACHE"; \
	if [ -n "$$failed" ]; then echo "make test: failed on:$$failed"; exit 1; fi; \
	echo "make test: passed on $(BACKENDS)"

test-fast: $(DEV_STAMP) $(CHROMIUM)
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check keras_gan tests examples benchmarks
	$(VENV)/bin/ruff format --check keras_gan tests examples benchmarks
	$(VENV)/bin/lint-imports

format: $(DEV_STAMP)
	$(VENV)/bin/ruff format keras_gan tests examples benchmarks
	$(VENV)/bin/ruff check --fix keras_gan tests examples benchmarks

bench: $(DEV_STAMP)
	$(PY) benchmarks/speed.py

# The documentation site (mkdocs.yml), built offline into site/.
docs: $(DEV_STAMP)
	$(VENV)/bin/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) runs build dist *.egg-info .pytest_cache .ruff_cache
