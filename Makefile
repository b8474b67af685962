# 工会会员服务卡平台: the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi.py

.PHONY: run test test-moved lint fmt migrate-check bench install demo test-sqlite test-pg worker beat clean prod-check

$(BIN)/activate: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/activate

install: $(BIN)/activate

## Start everything on the embedded default (SQLite, in-process tasks), with demo data.
run: install
	PORT=$(PORT) bash scripts/run_demo.sh

## Lint, migrations check, the suite on SQLite, on PostgreSQL + Redis, then on SQLite again
## with the whole clock moved to 31 December 23:50 (Asia/Shanghai) of next year.
test: install lint migrate-check test-sqlite test-pg test-moved

# Any other moment: make test-moved TEST_TODAY=2028-02-29 (10:00 Shanghai) or 2028-06-30T23:59
TEST_TODAY ?= $(shell echo $$(( $$(date +%Y) + 1 )))-12-31T23:50

test-sqlite: install
	$(BIN)/pytest -q -n 2 -p no:cacheprovider tests

test-pg: install
	bash .ci/services.sh
	UNIONCARD_TEST_DATABASE_URL=$${UNIONCARD_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
	UNIONCARD_TEST_REDIS_URL=$${UNIONCARD_TEST_REDIS_URL:-redis://127.0.0.1:6379/15} \
	$(BIN)/pytest -q -n 2 -p no:cacheprovider tests

test-moved: install
	UNIONCARD_TEST_TODAY=$(TEST_TODAY) $(BIN)/pytest -q -n 2 -p no:cacheprovider tests

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Models and migrations agree (on a fresh SQLite database).
migrate-check: install
	bash scripts/migrate_check.sh

## The production layout (gunicorn, celery worker and beat, PostgreSQL, Redis) driven and audited.
prod-check: install
	bash .ci/services.sh
	$(BIN)/python scripts/prod_check.py

bench: install
	bash .ci/services.sh
	$(BIN)/python -m bench.run

worker: install
	$(BIN)/celery -A wsgi:celery worker --loglevel=INFO --concurrency=2

beat: install
	$(BIN)/celery -A wsgi:celery beat --loglevel=INFO

clean:
	rm -rf var/*.db var/*.db-* .pytest_cache
