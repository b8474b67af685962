"""Flask serves the built service hall under /hall/ with the console's rules (one builder,
``unioncard.spa``): hashed assets cached for a year, index.html never cached and answering
deep links, a clear 503 while it is not built."""

from __future__ import annotations

from .test_console_serving import _dist, get


def test_hall_index_deep_links_and_assets(client, tmp_path):
    client.application.config["HALL_DIST"] = str(_dist(tmp_path))
    try:
        assert get(client, "/hall").headers["Location"].endswith("/hall/")
        for path in ("/hall/", "/hall/card", "/hall/oauth?code=x&state=y"):
            r = client.get(path)
            assert r.status_code == 200, path
            assert r.headers["Cache-Control"] == "no-cache"
            assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")
        r = get(client, "/hall/assets/index-AbC123.js")
        assert r.status_code == 200
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert get(client, "/hall/assets/missing-1.js").status_code == 404
    finally:
        client.application.config.pop("HALL_DIST")


def test_unbuilt_hall_says_how_to_build_it(client, tmp_path):
    client.application.config["HALL_DIST"] = str(tmp_path / "none")
    try:
        r = get(client, "/hall/me")
        assert r.status_code == 503
        text = r.get_data(as_text=True)
        assert "服务大厅" in text and "make run" in text
    finally:
        client.application.config.pop("HALL_DIST")
