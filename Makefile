# One command per chore; `make check` gates them all.
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-stamp

.PHONY: install system test test-slow test-all check format lint types audit fuzz demo demo-notify serve bench clean

# Debian packages the product and its tests need (browser tests, PDF rendering, fonts);
# installed once when missing and when we may (root with apt-get), skipped otherwise.
APT_PACKAGES ?= libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils chromium

install: $(STAMP) system

system:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	        echo "installing Debian packages:$$missing"; \
	        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing) >/dev/null; \
	    else echo "missing Debian packages (install them as root):$$missing"; fi; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# The everyday suite (about ten minutes on 2 cores, TEST_WORKERS processes) leaves out the
# long end-to-end cases marked `slow` (kill trials, worker crashes, arrival orders, the matrix
# slice), which run one at a time in `test-slow`; CI runs both.
TEST_WORKERS ?= 2
test: install
	$(BIN)/pytest -q -n $(TEST_WORKERS) -m "not slow" $(PYTEST_ARGS)

test-slow: install
	$(BIN)/pytest -q -m slow $(PYTEST_ARGS)

test-all: install
	$(BIN)/pytest -q $(PYTEST_ARGS)

format: install
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

lint: install
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks

types: install
	$(BIN)/mypy src

# Known vulnerabilities in the installed environment (pip-audit, PyPI's advisory service).
# Without a network pip-audit cannot look a single package up: that is said plainly and the
# target passes, since nothing could be checked; a vulnerability found always fails it.
audit: install
	@out=$$($(BIN)/pip-audit --skip-editable --strict --progress-spinner off 2>&1); rc=$$?; \
	if [ $$rc -eq 0 ]; then echo "$$out" | head -1; exit 0; fi; \
	if echo "$$out" | grep -q "Found [0-9]* known vulnerabilit"; then echo "$$out"; exit $$rc; fi; \
	if echo "$$out" | grep -qiE "not found on PyPI and could not be audited|connection|resolve|timed out|Max retries"; then \
	    echo "audit: SKIPPED - pip-audit could not reach the vulnerability service (no network?);"; \
	    echo "audit: nothing was checked. Run 'make audit' again where PyPI is reachable."; exit 0; fi; \
	echo "$$out"; exit $$rc

check: lint types audit test test-slow

demo: install
	$(BIN)/elmon --database-url sqlite:///demo/elmon.db demo

demo-notify: install
	$(BIN)/elmon --database-url sqlite:///demo/elmon.db demo --notify

serve: install
	$(BIN)/elmon --database-url sqlite:///demo/elmon.db serve

# The long fuzz profile: ELMON_FUZZ_EXAMPLES files per format (3 formats, >= 10,000 in all).
FUZZ_EXAMPLES ?= 3334
fuzz: install
	HYPOTHESIS_PROFILE=long ELMON_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) ELMON_FUZZ_PROGRESS=100 $(BIN)/pytest -q -s tests/fuzz

bench: install
	$(BIN)/python benchmarks/ingest_throughput.py

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache
