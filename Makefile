# 工会会员服务卡平台: the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi.py

.PHONY: run test test-moved lint fmt migrate-check bench install demo test-sqlite test-pg worker beat clean prod-check web types

$(BIN)/activate: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/activate

install: $(BIN)/activate

## The staff console (web/): `npm ci` when the lockfile changed, `vite build` when a source did.
WEB_SOURCES := $(shell find web/console web/api -type f 2>/dev/null) web/vite.config.ts web/tsconfig.json
web/.stamp-npm: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

# the built index.html is the build's stamp: a deleted web/dist is rebuilt too
web/dist/console/index.html: web/.stamp-npm $(WEB_SOURCES)
	cd web && npx vite build --logLevel warn
	touch $@

## The service hall (web/hall/, Vant): its own Vite config, built when its sources changed.
HALL_SOURCES := $(shell find web/hall web/api -type f 2>/dev/null) web/vite.hall.config.ts web/tsconfig.json
web/dist/hall/index.html: web/.stamp-npm $(HALL_SOURCES)
	cd web && npx vite build --config vite.hall.config.ts --logLevel warn
	touch $@

web: web/dist/console/index.html web/dist/hall/index.html

## Regenerate web/api/schema.d.ts from the app's OpenAPI document (after an API change).
types: install web/.stamp-npm
	$(BIN)/python -m scripts.export_openapi var/openapi.json
	cd web && npx openapi-typescript ../var/openapi.json -o api/schema.d.ts && npx vue-tsc --noEmit -p tsconfig.json

## Start everything on the embedded default (SQLite, in-process tasks), with demo data.
run: install
	@echo "管理控制台：http://127.0.0.1:$(PORT)/console/ （构建完成、服务启动后打开）"
	@echo "服务大厅（会员 H5，手机宽度浏览）：http://127.0.0.1:$(PORT)/hall/"
	@$(MAKE) --no-print-directory web
	PORT=$(PORT) bash scripts/run_demo.sh

## The console build, lint, migrations check, the suite on SQLite, on PostgreSQL + Redis, then on
## SQLite again with the whole clock moved to 31 December 23:50 (Asia/Shanghai) of next year.
## The browser tests (tests/e2e) run twice, not three times: on PostgreSQL + Redis (production's
## stores) and with the clock moved (SQLite, as `make run` serves); `make test-sqlite E2E=1` adds them.
test: install web lint migrate-check test-sqlite test-pg test-moved

# Any other moment: make test-moved TEST_TODAY=2028-02-29 (10:00 Shanghai) or 2028-06-30T23:59
TEST_TODAY ?= $(shell echo $$(( $$(date +%Y) + 1 )))-12-31T23:50

test-sqlite: install
	$(BIN)/pytest -q -n 2 -p no:cacheprovider tests $(if $(E2E),,--ignore=tests/e2e)

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
