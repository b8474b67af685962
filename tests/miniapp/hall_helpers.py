"""The service hall's web login in tests: the real wechatpy OAuth client, the WeChat
sandbox's authorize page over HTTP, and the state bound to the test client's cookie."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests

from .helpers import API


def authorize(client, redirect: str | None = None, scope: str = "snsapi_base") -> str:
    """GET authorize-url (the cookie lands in ``client``'s jar); the URL without fragment."""
    query = {"scope": scope} | ({"redirect": redirect} if redirect else {})
    r = client.get(f"{API}/auth/oauth/authorize-url", query_string=query)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["url"].split("#", 1)[0]


def wechat_redirect(url: str, person: str) -> dict:
    """What WeChat's authorize page does for ``person``: the redirect's code and state."""
    r = requests.get(url, params={"person": person}, allow_redirects=False, timeout=5)
    assert r.status_code == 302, r.text
    query = parse_qs(urlsplit(r.headers["Location"]).query)
    return {"code": query["code"][0], "state": query["state"][0],
            "location": r.headers["Location"]}  # fmt: skip


def hall_login(client, person: str) -> dict:
    """Log ``person`` in through the hall; returns the login answer."""
    back = wechat_redirect(authorize(client), person)
    r = client.post(f"{API}/auth/oauth", json={"code": back["code"], "state": back["state"]})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def bearer(answer: dict) -> dict:
    return {"Authorization": f"Bearer {answer['token']}"}


def sms_bind(client, env, headers: dict, mobile: str) -> None:
    """Bind ``mobile`` the hall's way: a code by SMS (read from the sandbox), then the code."""
    r = client.post(f"{API}/me/phone/sms", json={"mobile": mobile}, headers=headers)
    assert r.status_code == 200, r.get_json()
    code = env.boxes.sms.for_mobile(mobile)[0]["params"][0]
    r = client.post(f"{API}/me/phone", json={"mobile": mobile, "sms_code": code},
                    headers=headers)  # fmt: skip
    assert r.status_code == 200, r.get_json()


def hall_member(client, env, member, person: str) -> dict:
    """``member`` (in the registry) logged in through the hall, phone by SMS, identity
    bound; returns the Authorization header."""
    headers = bearer(hall_login(client, person))
    sms_bind(client, env, headers, member.mobile)
    r = client.post(f"{API}/me/identity", headers=headers, json={
        "name": member.name, "id_type": "身份证", "id_number": member.id_number})  # fmt: skip
    assert r.status_code == 200, r.get_json()
    return headers
