# FieldApp: `make run` serves the app with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app fieldapp
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test lint clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@echo "FieldApp is serving on http://$(HOST):$(PORT)  (Ctrl-C stops it)"
	@# The mail worker runs beside the server and stops with it (without FIELDAPP_SMTP_HOST
	@# it writes each message to the log and the Outbox page instead of sending it).
	$(FLASK) mail send-queued --loop & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# Every test runs on SQLite; when FIELDAPP_TEST_DATABASE_URL is set, all of them run again on it.
test: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check fieldapp tests benchmarks
	FIELDAPP_TEST_DATABASE_URL= $(PY) -m pytest
	@if [ -n "$$FIELDAPP_TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL: $$FIELDAPP_TEST_DATABASE_URL"; \
		$(PY) -m pytest; \
	else \
		echo "(FIELDAPP_TEST_DATABASE_URL is not set: PostgreSQL pass skipped; .ci/run sets it)"; \
	fi

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check fieldapp tests benchmarks

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
