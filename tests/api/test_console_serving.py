"""Flask serves the built console under /console/: hashed assets cached for a year,
index.html never cached and answering deep links; / leads to the console."""

from __future__ import annotations


def _dist(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>控制台</title>", encoding="utf-8")
    (tmp_path / "assets" / "index-AbC123.js").write_text("console.log(1)", encoding="utf-8")
    (tmp_path / "favicon.svg").write_text("<svg/>", encoding="utf-8")
    return tmp_path


def get(client, path):
    """GET and close the answer (file answers hold an open file until closed)."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


def test_root_leads_to_the_console(client):
    r = get(client, "/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/console/")
    r = get(client, "/console")
    assert r.status_code == 301 and r.headers["Location"].endswith("/console/")


def test_index_deep_links_and_assets(client, tmp_path):
    client.application.config["CONSOLE_DIST"] = str(_dist(tmp_path))
    try:
        for path in (
            "/console/",
            "/console/index.html",
            "/console/members",
            "/console/members/12?status=正常",
        ):
            r = client.get(path)
            assert r.status_code == 200, path
            assert "控制台" in r.get_data(as_text=True)
            assert r.headers["Cache-Control"] == "no-cache"
        r = get(client, "/console/assets/index-AbC123.js")
        assert r.status_code == 200
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert get(client, "/console/favicon.svg").status_code == 200
        assert get(client, "/console/assets/missing-1.js").status_code == 404
        # the API keeps its JSON 404s
        assert get(client, "/api/admin/v1/nowhere").get_json()["code"] == 404
    finally:
        client.application.config.pop("CONSOLE_DIST")


def test_unbuilt_console_says_how_to_build_it(client, tmp_path):
    client.application.config["CONSOLE_DIST"] = str(tmp_path / "none")
    try:
        r = get(client, "/console/members")
        assert r.status_code == 503
        assert "make run" in r.get_data(as_text=True)
    finally:
        client.application.config.pop("CONSOLE_DIST")
