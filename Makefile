# The two README commands: `make demo` (install + run the main job) and `make test`
# (install + run the tests). Both install what they need: Debian packages (bgpdump, used as
# a test oracle and benchmark peer; lbzip2, which decompresses bzip2 beside the decoder; Java
# for Spark) when apt-get is available, and a virtualenv in .venv (with the dev and spark
# extras).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
DEBS    = bgpdump chromium lbzip2

.PHONY: install system-deps demo test lint lint-pending bench

# Java for the Spark engine (routewatch[spark]): Debian's JRE 17 when no java is on PATH.
system-deps:
	@missing=""; for p in $(DEBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; done; \
	command -v java >/dev/null 2>&1 || missing="$$missing openjdk-17-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	fi

$(BIN)/routewatch: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,spark]'
	@touch $@

install: system-deps $(BIN)/routewatch

demo: install
	$(BIN)/routewatch demo

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python .ci/lint_imports.py

# The import contracts not in force yet (pyproject.toml: import-contracts-to-be-enabled).
lint-pending: install
	$(BIN)/python .ci/lint_imports.py --to-be-enabled

test: install lint
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/pip install -q --only-binary=:all: 'pybgpkit-parser==0.6.2'
	-$(BIN)/python benchmarks/mrt.py
	-$(BIN)/python benchmarks/lookups.py
	-$(BIN)/python benchmarks/detect.py
	-$(BIN)/python benchmarks/web.py
