#!/usr/bin/env bash
# Models and migrations agree: upgrade a fresh database to head, then `flask db check`
# (Alembic autogenerate finds nothing to add). On SQLite always; on PostgreSQL when it answers.
set -euo pipefail
export FLASK_APP=wsgi.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "migrate-check: SQLite"
UNIONCARD_DATABASE_URL="sqlite:///$tmp/check.db" .venv/bin/flask db upgrade 2>/dev/null
UNIONCARD_DATABASE_URL="sqlite:///$tmp/check.db" .venv/bin/flask db check 2>/dev/null

if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "migrate-check: PostgreSQL"
  name="unioncard_migrate_check_$$"  # this run's own: parallel checks never drop each other's
  trap 'rm -rf "$tmp"; psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
  psql -h 127.0.0.1 -U postgres -d test -qc "CREATE DATABASE $name" >/dev/null
  url="postgresql://postgres@127.0.0.1:5432/$name"
  UNIONCARD_DATABASE_URL="$url" .venv/bin/flask db upgrade 2>/dev/null
  UNIONCARD_DATABASE_URL="$url" .venv/bin/flask db check 2>/dev/null
  UNIONCARD_DATABASE_URL="$url" .venv/bin/flask db downgrade base 2>/dev/null
fi
