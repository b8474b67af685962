"""The staff console (管理控制台): the built Vue app of ``web/`` served under ``/console/``.

Hashed assets are cached for a year; ``index.html`` is never cached and answers every other
path under ``/console/`` (history fallback, so deep links and reloads work).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, current_app, redirect, send_from_directory

ROOT = Path(__file__).resolve().parent.parent
YEAR = 365 * 24 * 3600

bp = Blueprint("console", __name__)


def _dist() -> Path:
    return Path(current_app.config.get("CONSOLE_DIST") or ROOT / "web" / "dist" / "console")


@bp.get("/")
def home():
    return redirect("/console/")


@bp.get("/console")
def console_root():
    return redirect("/console/", code=301)


@bp.get("/console/assets/<path:filename>")
def console_asset(filename: str):
    response = send_from_directory(_dist() / "assets", filename, max_age=YEAR)
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response


@bp.get("/console/")
@bp.get("/console/<path:path>")
def console_page(path: str = ""):
    dist = _dist()
    if not (dist / "index.html").is_file():
        return (
            "<!doctype html><meta charset=utf-8><title>管理控制台</title>"
            "<p>管理控制台尚未构建：请运行 <code>make run</code>（或 <code>make web</code>）。</p>",
            503,
            {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"},
        )
    if path != "index.html" and "." in path.rsplit("/", 1)[-1] and (dist / path).is_file():
        return send_from_directory(dist, path, max_age=3600)
    html = (dist / "index.html").read_bytes()
    return html, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"}


def register_console(app: Flask) -> None:
    app.register_blueprint(bp)
