#!/usr/bin/env bash
# `make run`: migrate, load the demo, start the loopback sandboxes (bank and registers),
# then serve the app on 127.0.0.1:$PORT. Ctrl-C stops everything.
set -euo pipefail
PORT=${PORT:-5000}
BANK_PORT=${BANK_PORT:-$((PORT + 101))}
REGISTERS_PORT=${REGISTERS_PORT:-$((PORT + 102))}
export FLASK_APP=wsgi.py
export UNIONCARD_BANK_API_URL=http://127.0.0.1:$BANK_PORT
export UNIONCARD_POPULATION_API_URL=http://127.0.0.1:$REGISTERS_PORT/population
export UNIONCARD_SOCIAL_SECURITY_API_URL=http://127.0.0.1:$REGISTERS_PORT/social-security

.venv/bin/flask db upgrade
.venv/bin/flask demo seed
.venv/bin/python -m integrations.sandboxes --bank-port "$BANK_PORT" \
  --registers-port "$REGISTERS_PORT" --callback-base-url "http://127.0.0.1:$PORT" \
  --result-delay "${BANK_RESULT_DELAY:-20}" --event-delay "${BANK_EVENT_DELAY:-10}" &
SANDBOXES=$!
trap 'kill $SANDBOXES 2>/dev/null || true' EXIT INT TERM
.venv/bin/flask demo banner --port "$PORT"
echo "  银行沙箱    $UNIONCARD_BANK_API_URL"
echo "  核验沙箱    http://127.0.0.1:$REGISTERS_PORT （人口库 /population，人保库 /social-security）"
echo
.venv/bin/flask run --host 127.0.0.1 --port "$PORT" --no-reload
