"""The WeChat client (wechatpy underneath) against the WeChat sandbox over real HTTP."""

from __future__ import annotations

import threading

import pytest

from integrations.sandboxes import ServerThread
from integrations.wechat.client import (
    MemoryTokenStorage,
    WeChatClient,
    WeChatConfigError,
    WeChatInvalidCode,
    WeChatRejected,
    WeChatSubscriptionRefused,
    WeChatUnavailable,
    token_storage,
)
from integrations.wechat.sandbox import create_wechat_sandbox, openid_for

APP_ID, SECRET = "wxtest", "secret"


@pytest.fixture()
def sandbox():
    app = create_wechat_sandbox(app_id=APP_ID, app_secret=SECRET)
    with ServerThread(app) as server:
        yield server.url, app.extensions["wechat_sandbox"]


def _client(url, storage=None, secret=SECRET):
    return WeChatClient(APP_ID, secret, base_url=url, timeout=3, storage=storage)


def test_code_to_session_phone_and_subscribe(sandbox):
    url, box = sandbox
    client = _client(url)
    session = client.code_to_session("demo-1")
    assert session["openid"] == openid_for("demo-1", APP_ID) and session["unionid"]
    assert box.token_fetches == 0  # code2Session takes the secret, not an access token
    assert client.phone_number("phone-13812345678") == "13812345678"
    client.send_subscribe_message(
        "o1", "TPL", {"thing1": "已办卡", "time2": {"value": "2026"}}, page="p"
    )
    assert box.messages == [
        {
            "touser": "o1",
            "template_id": "TPL",
            "page": "p",
            "data": {"thing1": {"value": "已办卡"}, "time2": {"value": "2026"}},
        }
    ]
    assert box.token_fetches == 1  # one token for both calls
    assert all(host == url.removeprefix("http://") for host in box.hosts)


def test_expired_token_is_fetched_again_once_and_the_call_repeated(sandbox):
    url, box = sandbox
    client = _client(url)
    client.phone_number("phone-13812345678")
    box.expire_tokens()
    assert client.phone_number("phone-13900000000") == "13900000000"
    assert box.token_fetches == 2


def test_one_shared_store_one_fetch_for_concurrent_clients(sandbox):
    url, box = sandbox
    storage = MemoryTokenStorage()
    barrier = threading.Barrier(8)
    errors = []

    def call():
        barrier.wait()
        try:
            _client(url, storage).phone_number("phone-13812345678")
        except Exception as exc:  # collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and box.token_fetches == 1


def test_app_clients_share_the_app_store(app):
    assert token_storage(app) is token_storage(app)
    client = WeChatClient.from_app(app)
    assert client.base_url == app.config["WECHAT_API_BASE_URL"].rstrip("/")


def test_failures_have_their_own_errors(sandbox):
    url, box = sandbox
    client = _client(url)
    with pytest.raises(WeChatInvalidCode):
        client.code_to_session("bad-code")
    with pytest.raises(WeChatInvalidCode):
        client.phone_number("nonsense")
    with pytest.raises(WeChatConfigError):
        _client(url, secret="wrong").phone_number("phone-13812345678")
    box.refusing.add("o-refuses")
    with pytest.raises(WeChatSubscriptionRefused):
        client.send_subscribe_message("o-refuses", "TPL", {"thing1": "x"})
    with pytest.raises(WeChatRejected):
        client.send_subscribe_message("o1", "TPL", {"thing1": {"no-value": 1}})
    box.fail_next(3, 503)
    with pytest.raises(WeChatUnavailable):
        client.code_to_session("demo-2")  # GET: retried twice, then given up


def test_no_call_leaves_the_configured_base_url(sandbox):
    url, _box = sandbox
    client = _client(url)
    with pytest.raises(WeChatConfigError):
        client._wx.rebase("https://example.com/cgi-bin/token")
    assert client._wx.rebase("https://api.weixin.qq.com/cgi-bin/token") == url + "/cgi-bin/token"
    client._wx.session.delete(client._wx.access_token_key)
    # the token URL wechatpy hard-codes is never used: the sandbox answers the fetch
    assert client.access_token().startswith("sandbox-")


def test_unreachable_wechat_is_unavailable():
    with ServerThread(create_wechat_sandbox(app_id=APP_ID, app_secret=SECRET)) as server:
        url = server.url
    with pytest.raises(WeChatUnavailable):
        _client(url).code_to_session("demo-1")


def test_production_refuses_the_development_wechat_secret():
    from unioncard.config import ConfigError, load_config

    with pytest.raises(ConfigError) as exc:
        load_config({"ENV": "production"}, environ={})
    assert "UNIONCARD_WECHAT_APP_SECRET" in str(exc.value)
