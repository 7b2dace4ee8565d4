# One-word tasks. Each one sets up what it needs (a virtual environment in .venv).
#   make demo   run the whole flow offline on the bundled demo sites
#   make test   lint, type-check and run the tests
#   make bench  run the benchmarks (by hand; they print figures)

PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed-stamp
CHROMIUM = /usr/lib/chromium/chromium

.PHONY: install demo test lint typecheck pytest browser w3m bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/vahti demo

# Debian's chromium for the browser tests (never `playwright install`: it downloads a browser).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian's chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "chromium is not installed: browser tests will be skipped"; \
		fi; \
	fi

# Debian's w3m for the mail client tests (HTML digests as a text mail client shows them).
w3m:
	@if ! command -v w3m >/dev/null 2>&1; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian's w3m for the mail client tests"; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq w3m >/dev/null \
				|| echo "w3m could not be installed: its tests will be skipped"; \
		else \
			echo "w3m is not installed: its tests will be skipped"; \
		fi; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

pytest: install browser w3m
	$(BIN)/pytest

test: lint typecheck pytest

bench: install
	$(BIN)/python bench/extract.py
	$(BIN)/python bench/crawl.py
	$(BIN)/python bench/dedupe.py
	$(BIN)/python bench/digest.py
	$(BIN)/python bench/feeds.py
	$(BIN)/python bench/daemon.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
