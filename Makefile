# One-word tasks. Each one sets up what it needs (a virtual environment in .venv).
#   make demo   run the whole flow offline on the bundled demo sites
#   make test   lint, type-check and run the tests
#   make bench  run the benchmarks (by hand): var/bench/results.json, printed as a table at the end
#   make screenshots  run the demo and write docs/screenshots/*.png with Chromium

PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed-stamp
CHROMIUM = /usr/lib/chromium/chromium

.PHONY: install demo test lint typecheck pytest browser clients morphology dictionaries bench screenshots clean

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

# The digests and main pages as Chromium shows them, for the docs (run the demo afresh in
# var/screenshots-demo/; writes docs/screenshots/*.png).
screenshots: install browser
	$(BIN)/python tools/screenshots.py

# Debian's feed reader, text browser and calendar for the client tests (each test is skipped with a
# reason where its program is absent).
CLIENT_PROGRAMS = newsboat w3m khal
clients:
	@missing=""; for program in $(CLIENT_PROGRAMS); do \
		command -v $$program >/dev/null 2>&1 || missing="$$missing $$program"; \
	done; \
	if [ -n "$$missing" ]; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian's$$missing for the client tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null \
				|| echo "$$missing could not be installed: their tests will be skipped"; \
		else \
			echo "$$missing not installed: their tests will be skipped"; \
		fi; \
	fi

# Debian's Voikko and its Finnish dictionary: Finnish base forms for the category lexicon
# (text/morphology.py). Without them the lexicon uses Snowball stems and the Voikko tests skip.
MORPHOLOGY_PACKAGES = libvoikko1 voikko-fi
morphology:
	@if ls /usr/lib/*/libvoikko.so.1 >/dev/null 2>&1 && { [ -d /usr/lib/voikko ] || [ -d /usr/share/voikko ]; }; then \
		:; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's $(MORPHOLOGY_PACKAGES) for Finnish base forms"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(MORPHOLOGY_PACKAGES) >/dev/null \
			|| echo "$(MORPHOLOGY_PACKAGES) could not be installed: Snowball stems are used"; \
	else \
		echo "Voikko is not installed: the lexicon uses Snowball stems, the Voikko tests are skipped"; \
	fi

# Debian's FreeDict dictionaries for cross-language dedupe (text/freedict.py reads
# /usr/share/dictd; without them dedupe pairs fewer translated listings and the tests that need
# them are skipped with a reason).
DICTIONARIES = dict-freedict-fin-eng dict-freedict-eng-fin dict-freedict-swe-eng dict-freedict-fin-swe
dictionaries:
	@missing=""; for package in $(DICTIONARIES); do \
		name=$${package#dict-}; \
		[ -f /usr/share/dictd/$$name.index ] || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian's$$missing for cross-language dedupe"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
				|| echo "$$missing could not be installed: cross-language dedupe goes without them"; \
		else \
			echo "$$missing not installed: skipped (cross-language dedupe goes without them)"; \
		fi; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

pytest: install browser clients morphology dictionaries
	$(BIN)/pytest

test: lint typecheck pytest

bench: install
	$(BIN)/python bench/extract.py
	$(BIN)/python bench/crawl.py
	$(BIN)/python bench/dedupe.py
	$(BIN)/python bench/dedupe.py --incremental 100000
	$(BIN)/python bench/dedupe.py -n 1000000
	$(BIN)/python bench/digest.py
	$(BIN)/python bench/feeds.py
	$(BIN)/python bench/daemon.py
	@echo
	$(BIN)/python bench/results.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
