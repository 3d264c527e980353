# Two commands a new user needs (see README): `make demo` and `make test`.
# Everything installs into .venv; only Python 3.11+ and make are assumed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
OUT ?= demo_output

.PHONY: install browser demo test lint bench evaluate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## demo: set up and analyse sample_transcripts/ into $(OUT)/
demo: install
	$(VENV)/bin/session-analyzer analyze sample_transcripts --out $(OUT)

## browser: headless Chromium for the report check (installed with apt-get when run as root)
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the report browser check (apt-get)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "note: could not install chromium; the browser check will be skipped"; \
	  else echo "note: chromium not found; the browser check will be skipped (sudo apt-get install chromium)"; fi; }

## test: set up, lint (ruff), type-check (mypy) and run every test
test: install browser lint
	$(PY) -m pytest -q

## lint: ruff and mypy as configured in pyproject.toml
lint: install
	$(VENV)/bin/ruff check analyzer tests benchmarks
	$(VENV)/bin/mypy

## bench: throughput and memory benchmark, then report speed (see benchmarks/)
bench: install
	$(PY) benchmarks/throughput.py
	$(PY) benchmarks/report_speed.py

## evaluate: agreement with the expert-coded sets in ../shared/data (skips where absent)
evaluate: install
	$(PY) benchmarks/agreement.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache build *.egg-info
