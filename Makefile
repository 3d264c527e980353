# Two commands a new user needs (see README): `make demo` and `make test`.
# Everything installs into .venv; only Python 3.11+ and make are assumed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
OUT ?= demo_output

.PHONY: install demo test bench evaluate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## demo: set up and analyse sample_transcripts/ into $(OUT)/
demo: install
	$(VENV)/bin/session-analyzer analyze sample_transcripts --out $(OUT)

## test: set up and run every test
test: install
	$(PY) -m pytest -q

## bench: throughput and memory benchmark (see benchmarks/)
bench: install
	$(PY) benchmarks/throughput.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache build *.egg-info
