"""web/api/schema.d.ts is generated from the app's OpenAPI document: regenerate and diff."""

from __future__ import annotations

import os
import subprocess

import pytest

from scripts.export_openapi import document_text

from .conftest import ROOT, WEB

CLI = WEB / "node_modules" / "openapi-typescript" / "bin" / "cli.js"


def test_generated_types_are_up_to_date(app, tmp_path):
    if not CLI.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail("web/node_modules is missing: run make web")
        pytest.skip("需要 web/node_modules（make web）")
    spec = tmp_path / "openapi.json"
    with app.app_context():  # the session's app: the same document as a fresh one
        document = app.extensions["unioncard.api"].spec.to_dict()
        spec.write_text(document_text(document), encoding="utf-8")
    out = tmp_path / "schema.d.ts"
    subprocess.run(
        ["node", str(CLI), str(spec), "-o", str(out)], cwd=WEB, check=True, capture_output=True
    )
    committed = (WEB / "api" / "schema.d.ts").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, (
        "web/api/schema.d.ts is out of date with the API: run `make types` and commit it"
    )
    assert ROOT.joinpath("web", "api", "client.ts").is_file()


def test_first_load_is_within_300_kb_gzipped(console_dist):
    """The login screen's JS + CSS (what index.html loads, and the login chunk), gzipped."""
    import gzip
    import re

    html = (console_dist / "index.html").read_text(encoding="utf-8")
    files = set(re.findall(r"assets/[^\"]+\.(?:js|css)", html))
    files |= {f"assets/{p.name}" for p in (console_dist / "assets").glob("LoginPage-*")}
    assert any(f.endswith(".js") for f in files) and any(f.endswith(".css") for f in files)
    size = sum(len(gzip.compress((console_dist / f).read_bytes(), 9)) for f in files)
    assert size <= 300 * 1024, f"first load {size / 1024:.0f} KB gzipped"
