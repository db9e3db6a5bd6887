# probax: `make demo` runs the seed walkthroughs, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# Two workers suit CI's two cores; override with `make test WORKERS=auto`.
WORKERS ?= 2

.PHONY: test demo bench lint clean

$(VENV)/.installed-%: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[$*]"
	touch $@

test: $(VENV)/.installed-test
	$(PY) -m pytest -n $(WORKERS) -q

demo: $(VENV)/.installed-plot
	$(PY) examples/run_demo.py --output demo_output

bench: $(VENV)/.installed-bench
	$(PY) benchmarks/run_all.py

lint: $(VENV)/.installed-lint
	$(VENV)/bin/ruff check src tests benchmarks examples

clean:
	rm -rf $(VENV) demo_output
