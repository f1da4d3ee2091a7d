# The two commands: `make demo` (set up, load the demo, serve it) and `make test` (the whole test suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= $(or $(CAIM_TEST_DATABASE_URL),postgres://postgres@127.0.0.1:5432/test)

.PHONY: setup demo serve test test-sqlite test-postgres messages-compiled lint format lock clean messages

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[test]'
	$(BIN)/caim compilemessages
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/caim demo

serve: setup
	$(BIN)/caim serve

# SQLite always; PostgreSQL too when reachable (CI sets CAIM_REQUIRE_POSTGRES=1 so that its absence fails).
# The two suites run at once, one per core (their output one after the other): half the time of running them in
# turn. Each is also a target of its own.
PG_LOG := var/test-postgres.log

test: setup lint messages-compiled
	@mkdir -p var; \
	$(MAKE) --no-print-directory test-postgres > $(PG_LOG) 2>&1 & postgres_job=$$!; \
	$(MAKE) --no-print-directory test-sqlite; sqlite=$$?; \
	wait $$postgres_job; postgres=$$?; \
	cat $(PG_LOG); \
	echo "== SQLite suite: $$( [ $$sqlite -eq 0 ] && echo passed || echo FAILED ), PostgreSQL suite: $$( [ $$postgres -eq 0 ] && echo passed || echo FAILED )"; \
	[ $$sqlite -eq 0 ] && [ $$postgres -eq 0 ]

messages-compiled: setup
	$(BIN)/caim compilemessages >/dev/null

test-sqlite: setup messages-compiled
	@echo "== tests on SQLite"
	$(BIN)/pytest

test-postgres: setup
	@if $(BIN)/python tests/pg_available.py "$(PG_URL)"; then \
		echo "== tests on PostgreSQL ($(PG_URL))"; \
		DATABASE_URL="$(PG_URL)" $(BIN)/pytest -p no:cacheprovider -m "not browser"; \
	elif [ -n "$$CAIM_REQUIRE_POSTGRES" ]; then \
		echo "PostgreSQL is not reachable at $(PG_URL), and CAIM_REQUIRE_POSTGRES is set: failing."; exit 1; \
	else \
		echo "PostgreSQL is not reachable at $(PG_URL): the tests ran on SQLite only."; \
	fi

lint: setup
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools

format: setup
	$(BIN)/ruff format src tests bench tools
	$(BIN)/ruff check --fix src tests bench tools

# Extract the translatable strings into the French catalogue (needs Debian's gettext); then fill the new msgstr.
messages: setup
	cd src/caim && DJANGO_SETTINGS_MODULE=caim.settings ../../$(BIN)/python -m django makemessages -l fr --no-obsolete --no-wrap
	$(BIN)/caim compilemessages

# Refresh the pinned versions after changing dependencies in pyproject.toml.
lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^caim' > requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache
