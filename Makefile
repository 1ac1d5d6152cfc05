# vvp: the two set-up commands are `make demo` and `make test` (README).
# Python >= 3.12.2 is found in the order of architecture §4.1 and a .venv/ is made at the root.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help demo test lint typecheck unit venv clean codes-doc bench bench-batch bench-service

help:
	@echo "make demo   build the demo world locally and verify calls in it"
	@echo "make test   type-check and run the test suite"

$(STAMP): pyproject.toml
	@py="$$(bash .ci/find-python)" || exit 1; \
	  echo "using $$py ($$("$$py" -c 'import sys; print(sys.version.split()[0])'))" >&2; \
	  if [ ! -x $(VPY) ] || ! $(VPY) -c 'import sys; sys.exit(0 if sys.version_info >= (3,12,2) else 1)' 2>/dev/null; then \
	    rm -rf $(VENV); "$$py" -m venv $(VENV) || exit 1; fi; \
	  $(VPY) -m pip install -q --disable-pip-version-check --upgrade pip && \
	  $(VPY) -m pip install -q --disable-pip-version-check -e '.[dev]' && touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/vvp demo

typecheck: $(STAMP)
	$(VPY) -m mypy

unit: $(STAMP)
	$(VPY) -m pytest -q -p no:cacheprovider

test: $(STAMP)
	$(VPY) -m ruff check vvp benchmarks tests
	$(VPY) -m mypy
	$(VPY) -m pytest -q -p no:cacheprovider

codes-doc: $(STAMP)
	$(VPY) -m vvp.codes > docs/codes.md

bench: $(STAMP)
	@$(VPY) -m benchmarks.bench $(BENCH_ARGS)

# vvp batch: a generated call log of 100,000 Zipf calls, one worker against the in-process recorded call,
# 1 -> 2 workers, Dask against local, peak RSS at 10,000 and 1,000,000 rows (takes a while: docs/batch.md).
bench-batch: $(STAMP)
	@$(VPY) -m benchmarks.bench_batch $(BENCH_ARGS)

# vvp serve under load: the in-process recorded call, then --workers 1 and 2 on 127.0.0.1 with a load generator
# in its own process (loopback floor, saturation, p50/p99 at 70 %, worker RSS after 10,000 and 100,000 requests).
bench-service: $(STAMP)
	@$(VPY) -m benchmarks.bench_service $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache
