# probax: `make demo` runs the seed walkthroughs, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# Two workers suit CI's two cores; override with `make test WORKERS=auto`.
WORKERS ?= 2

.PHONY: test test-slow demo bench lint clean

$(VENV)/.installed-%: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[$*]"
	touch $@

# The default run leaves out the few tests marked slow (far-tail precision and gradient
# checks of TruncatedNormal, StudentT, HalfStudentT, InverseGaussian, VonMises); `make test-slow` runs them.
test: $(VENV)/.installed-test
	$(PY) -m pytest -n $(WORKERS) -q -m "not slow" --durations=25

test-slow: $(VENV)/.installed-test
	PROBAX_TEST_DEFAULT_XLA=1 $(PY) -m pytest -n $(WORKERS) -q -m slow

demo: $(VENV)/.installed-demo
	$(PY) examples/run_demo.py --output demo_output

bench: $(VENV)/.installed-bench
	$(PY) benchmarks/run_all.py

lint: $(VENV)/.installed-lint
	$(VENV)/bin/ruff check src tests benchmarks examples

clean:
	rm -rf $(VENV) demo_output
