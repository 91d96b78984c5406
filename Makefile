# EMPACT Tracker — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint format check migrate demo worker bench clean

# The virtualenv: requirements.txt is what runs (make run, the Docker image), requirements-dev.txt
# adds what tests, lints and browsers need (make test, make lint). Rebuilt when either changes.
$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

migrate: $(BIN)/.installed
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo

## run: create the virtualenv, migrate, load the demo data and serve http://127.0.0.1:8000
run: demo
	@echo "EMPACT Tracker at http://$(HOST):$(PORT)/admin/  (demo logins in README.md)"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## test: the pytest suite, on DATABASE_URL / REDIS_URL when set, SQLite and eager tasks otherwise
test: $(BIN)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: $(BIN)/.installed-dev
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

## bench: benchmarks on PostgreSQL (BENCH_DATABASE_URL, default empact_bench on 127.0.0.1; BENCH_SCALE,
##        default 1.0 = 20 000 actions, 1 M entries): generates the data set once, prints a table, writes bench/results.json
bench: $(BIN)/.installed-dev
	$(BIN)/python bench/generate.py
	$(BIN)/python bench/run.py

## worker: a Celery worker (needs REDIS_URL)
worker: $(BIN)/.installed
	$(BIN)/celery -A empact_tracker worker --loglevel=INFO

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
