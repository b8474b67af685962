"""One error shape with Chinese messages; the API docs served with local assets."""

from __future__ import annotations

import pytest

from tests.world import build_world, login


@pytest.fixture()
def world(ctx):
    return build_world(members_per_union=1)


def _shape(response, status):
    body = response.get_json()
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert set(body) == {"code", "status", "message", "errors"}
    assert body["code"] == status
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def test_unknown_url_is_json_not_html(client):
    _shape(client.get("/api/admin/v1/nowhere"), 404)


def test_wrong_method(client):
    _shape(client.put("/api/admin/v1/auth/login", json={}), 405)


def test_validation_errors_are_translated(client, world):
    body = _shape(client.post("/api/admin/v1/auth/login", json={"username": "x", "extra": 1}), 422)
    assert body["errors"]["json"]["password"] == ["必填项，请填写"]
    assert body["errors"]["json"]["extra"] == ["不支持的字段，请删除"]


def test_malformed_json_body(client, world):
    r = client.post("/api/admin/v1/auth/login", data="{not json", content_type="application/json")
    assert r.status_code in (400, 422)
    _shape(r, r.status_code)


def test_oversized_upload_is_refused_cleanly(client, world, app, monkeypatch):
    headers = login(client, "ga1_operator")
    # a small limit keeps the test client from spooling the body to a temporary file
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    big = b"0" * 5000
    r = client.post(
        "/api/admin/v1/imports",
        headers=headers,
        data={"file": (__import__("io").BytesIO(big), "a.xlsx")},
        content_type="multipart/form-data",
    )
    _shape(r, 413)


def test_unexpected_error_is_a_500_without_trace(client, world, app, monkeypatch):
    from unioncard.members import services

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(services, "list_members", boom)
    headers = login(client, "ga1_operator")
    body = _shape(client.get("/api/admin/v1/members", headers=headers), 500)
    assert "secret" not in body["message"]


def test_openapi_document_and_local_docs(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["info"]["title"] == "工会会员服务卡平台 API"
    assert "/api/admin/v1/members" in spec["paths"]
    assert spec["paths"]["/api/admin/v1/members"]["get"]["summary"].startswith("会员列表")
    page = client.get("/docs").get_data(as_text=True)
    assert "/static/swagger-ui/swagger-ui-bundle.js" in page
    assert "https://" not in page.split("<body>")[0]  # no CDN for the assets
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        r = client.get(f"/static/swagger-ui/{asset}")
        assert r.status_code == 200 and len(r.data) > 10_000
        r.close()
