"""Serving a built Vue app of ``web/`` (the console at ``/console/``, the hall at ``/hall/``).

Hashed assets are cached for a year; ``index.html`` is never cached and answers every other
path under the app's prefix (history fallback, so deep links and reloads work). One builder
for both apps: ``spa_blueprint(...)``.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, redirect, request
from werkzeug.security import safe_join

ROOT = Path(__file__).resolve().parent.parent
YEAR = 365 * 24 * 3600


def _send(folder: Path, filename: str, max_age: int) -> Response:
    """A built file, read whole (they are small): no file handle outlives the request, even
    when the browser drops the connection or is answered 304."""
    path = safe_join(str(folder), filename)
    if path is None or not Path(path).is_file():
        abort(404)
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response = Response(Path(path).read_bytes(), mimetype=mimetype)
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.add_etag()
    return response.make_conditional(request)


def spa_blueprint(name: str, title: str, config_key: str) -> Blueprint:
    """A blueprint serving ``web/dist/<name>`` (or the folder in ``config[config_key]``) at
    ``/<name>/``; ``title`` names the app in the page shown while it is not built."""
    bp = Blueprint(f"spa_{name}", __name__)
    prefix = f"/{name}"

    def dist() -> Path:
        return Path(current_app.config.get(config_key) or ROOT / "web" / "dist" / name)

    @bp.get(prefix)
    def root():
        return redirect(f"{prefix}/", code=301)

    @bp.get(f"{prefix}/assets/<path:filename>")
    def asset(filename: str):
        response = _send(dist() / "assets", filename, YEAR)
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        return response

    @bp.get(f"{prefix}/")
    @bp.get(f"{prefix}/<path:path>")
    def page(path: str = ""):
        folder = dist()
        if not (folder / "index.html").is_file():
            return (
                f"<!doctype html><meta charset=utf-8><title>{title}</title>"
                f"<p>{title}尚未构建：请运行 <code>make run</code>（或 <code>make web</code>）。</p>",
                503,
                {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"},
            )
        if path != "index.html" and "." in path.rsplit("/", 1)[-1] and (folder / path).is_file():
            return _send(folder, path, 3600)
        html = (folder / "index.html").read_bytes()
        return html, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"}

    return bp
