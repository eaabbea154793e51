# The two commands: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint pytest bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The web server and, beside it, the mail worker that delivers the lists' outbox and the
# LMTP server that takes the lists' incoming mail from the mail server (on
# COALITION_LMTP_HOST:PORT, 127.0.0.1:8024; see docs/mail-server.md); Ctrl-C stops all
# three (the worker finishes the message in hand first).
run: $(VENV)/.installed
	$(BIN)/coalition db upgrade
	$(BIN)/coalition demo load --if-empty
	@echo "Serving on http://$(HOST):$(PORT)/ with the mail worker and the LMTP server beside it (Ctrl-C stops all)"
	$(BIN)/coalition mail deliver & worker=$$!; \
	$(BIN)/coalition mail lmtp & lmtp=$$!; \
	trap 'kill $$worker $$lmtp 2>/dev/null; wait $$worker $$lmtp' EXIT INT TERM; \
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --access-logfile - 'coalition.wsgi:app'

# The third-party checkers the quality gates run (Nu HTML Checker, axe-core); scripts are
# skipped because vnu-jar's would download a Java of its own: the machine's Java is used.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the quality gates (apt-get install npm)"; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

test: $(VENV)/.installed-test node_modules/.installed lint pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check coalition tests migrations bench

# The suite spreads over the machine's CPUs (pytest-xdist); each test has its own database,
# so workers never share state. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto
pytest: $(VENV)/.installed-test node_modules/.installed
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Benchmarks: run by hand, never part of the test suite (on SQLite; the mail benchmark's
# SMTP sink is aiosmtpd, from the test extra; for PostgreSQL run
# bench/bench_directory.py --pg URL and bench/bench_import.py --database-url URL).
bench: $(VENV)/.installed-test
	$(BIN)/python bench/bench_directory.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_reports.py
	$(BIN)/python bench/bench_mail.py
	$(BIN)/python bench/bench_inbound.py

clean:
	rm -rf $(VENV) node_modules *.egg-info .pytest_cache .ruff_cache
