"""The bare baseline of the mini-program bench: a Flask app that answers at once.

``gunicorn bench.bare_app:app`` with the same settings as the service; it reads the bearer
header and answers a small JSON document, nothing else (no database, no Redis)."""

from __future__ import annotations

from flask import Flask, request

app = Flask("bench_bare")


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/api/miniapp/v1/me")
@app.get("/api/miniapp/v1/card/application")
def bare():
    return {"ok": True, "auth": bool(request.headers.get("Authorization"))}
