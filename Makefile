# Coverscope: `make run` sets everything up and starts the app; `make test` runs every check.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DATA ?= data
# Debian packages: a browser for the UI tests, Redis for the distributed queue tests,
# FluidSynth and a small General MIDI soundfont for the training-data renderer.
APT_PACKAGES := chromium redis-server fluidsynth timgm6mb-soundfont

.PHONY: run test setup system python frontend lint typecheck pytest frontend-test clean

run: setup frontend
	$(BIN)/coverscope serve --port $(PORT) --data-dir $(DATA)

test: setup lint typecheck pytest frontend-test

setup: system python

system:
	@missing=""
	for pkg in $(APT_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done
	if [ -n "$$missing" ]; then
		echo "installing Debian packages:$$missing"
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo
		$$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing
	fi

python: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch==2.13.0 is pinned in pyproject.toml: the CPU build lying on this machine's disk.
	$(BIN)/pip install -q -e '.[dev,train,datasets]'
	touch $@

frontend:
	if [ -f frontend/package.json ]; then
		cd frontend && npm ci --no-audit --no-fund && npm run build
	fi

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy
	$(BIN)/mypy benchmarks  # scripts, not a package: checked so that they follow the code

pytest:
	$(BIN)/pytest -q

frontend-test: frontend
	if [ -f frontend/package.json ]; then
		cd frontend && npm test
	fi

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist
