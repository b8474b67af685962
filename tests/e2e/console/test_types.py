"""web/api/schema.d.ts is generated from the app's OpenAPI document: regenerate and diff."""

from __future__ import annotations

import os
import subprocess

import pytest

from scripts.export_openapi import document_text

from .conftest import ROOT, WEB

CLI = WEB / "node_modules" / "openapi-typescript" / "bin" / "cli.js"


def test_generated_types_are_up_to_date(tmp_path):
    if not CLI.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail("web/node_modules is missing: run make web")
        pytest.skip("需要 web/node_modules（make web）")
    spec = tmp_path / "openapi.json"
    spec.write_text(document_text(), encoding="utf-8")
    out = tmp_path / "schema.d.ts"
    subprocess.run(
        ["node", str(CLI), str(spec), "-o", str(out)], cwd=WEB, check=True, capture_output=True
    )
    committed = (WEB / "api" / "schema.d.ts").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, (
        "web/api/schema.d.ts is out of date with the API: run `make types` and commit it"
    )
    assert ROOT.joinpath("web", "api", "client.ts").is_file()
