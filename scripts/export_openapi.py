"""Write the app's OpenAPI document to a file (no server, no database touched).

Used by ``web/`` to generate its TypeScript types: ``python -m scripts.export_openapi out.json``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def openapi_document() -> dict:
    from unioncard import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/spec.db", "TASK_MODE": "eager"})
        with app.app_context():
            return app.extensions["unioncard.api"].spec.to_dict()


def document_text(document: dict | None = None) -> str:
    """The document as written for the generator (keys sorted: a stable output)."""
    document = openapi_document() if document is None else document
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else None
    text = document_text()
    if out is None:
        sys.stdout.write(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
