"""The WeChat server API for the mini-program (小程序服务端接口), outbound, on wechatpy.

``WeChatClient.from_app()`` builds it from the app's configuration:

- ``WECHAT_APP_ID`` / ``WECHAT_APP_SECRET``: the mini-program's credentials;
- ``WECHAT_API_BASE_URL`` (default ``https://api.weixin.qq.com``): EVERY call goes there,
  the access token's included (wechatpy hard-codes the official host for the token and
  sends it without a timeout; ``_WxClient`` rebases each URL and refuses any other host);
- ``WECHAT_TIMEOUT``: seconds, for every call.

Methods: ``code_to_session(code)`` → ``{openid, unionid?, session_key}``,
``phone_number(phone_code)`` → the mainland mobile, ``send_subscribe_message(openid,
template_id, data, page)``. Each failure is its own ``WeChatError`` (an ``IntegrationError``).

The access token (接口调用凭证) lives in ONE shared store so that workers do not each
fetch one: Redis through ``wechatpy.session.redisstorage.RedisStorage`` when ``REDIS_URL``
is set, else one in-process store per app. Fetching takes a lock (Redis ``SET NX`` or a
thread lock) and looks again inside it, so concurrent callers wait for one fetch. An
expired or revoked token (errcode 40001/40014/42001) is fetched again once - unless another
worker already replaced it - and the call is repeated once.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import requests
from urllib3.util.retry import Retry
from wechatpy.client import WeChatClient as _WeChatPyClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.session.redisstorage import RedisStorage

from ..http import IntegrationError, retrying_session

__all__ = [
    "WeChatBadResponse",
    "WeChatClient",
    "WeChatConfigError",
    "WeChatError",
    "WeChatInvalidCode",
    "WeChatRejected",
    "WeChatSubscriptionRefused",
    "WeChatUnavailable",
    "token_storage",
]

OFFICIAL_BASES = ("https://api.weixin.qq.com", "http://api.weixin.qq.com")
TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid, malformed, expired access token
INVALID_CODE = frozenset({40029, 40163})  # invalid code, code already used
CONFIG_ERRORS = frozenset({40013, 40125, 40164, 41002, 41004, 61024})
BUSY = frozenset({-1, 45009, 45011})
REFUSED = frozenset({43101, 43004})  # did not subscribe / does not follow the account
TOKEN_MARGIN = 300  # refresh five minutes before WeChat's own expiry
EXTENSION_KEY = "wechat.token_storage"


class WeChatError(IntegrationError):
    """Base of every failure talking to WeChat; ``errcode``/``errmsg`` when WeChat gave one."""

    default_message = "微信接口调用失败"

    def __init__(self, message: str | None = None, *, errcode=None, errmsg=None):
        self.errcode, self.errmsg = errcode, errmsg
        super().__init__(message)


class WeChatUnavailable(WeChatError):
    """Unreachable, timed out, 5xx, busy (-1) or over the frequency limit: retry later."""

    default_message = "微信服务暂时无法访问，请稍后重试"


class WeChatInvalidCode(WeChatError):
    """A login or phone code that WeChat does not accept (40029 invalid, 40163 used)."""

    default_message = "微信凭证无效或已过期，请重新进入小程序后再试"


class WeChatConfigError(WeChatError):
    """Our AppID/AppSecret or the server's IP whitelist is wrong: an administrator must act."""

    default_message = "小程序的 AppID、AppSecret 或服务器 IP 白名单配置有误，请联系管理员"


class WeChatSubscriptionRefused(WeChatError):
    """43101: the member has not accepted (or has used up) this subscribe message."""

    default_message = "用户未订阅该消息，或订阅次数已用完"


class WeChatRejected(WeChatError):
    """Any other errcode, or an HTTP 4xx: our request is wrong; retrying will not help."""

    default_message = "微信拒绝了请求"


class WeChatBadResponse(WeChatError):
    """An answer that is not what the WeChat documentation says (not JSON, fields missing)."""

    default_message = "微信返回的数据不符合接口约定"


def _error_for(errcode, errmsg) -> WeChatError:
    text = f"（错误码 {errcode}：{errmsg}）"
    if errcode in BUSY:
        return WeChatUnavailable(WeChatUnavailable.default_message + text, errcode=errcode)
    if errcode in INVALID_CODE:
        return WeChatInvalidCode(errcode=errcode, errmsg=errmsg)
    if errcode in CONFIG_ERRORS:
        return WeChatConfigError(WeChatConfigError.default_message + text, errcode=errcode)
    if errcode in REFUSED:
        return WeChatSubscriptionRefused(errcode=errcode, errmsg=errmsg)
    return WeChatRejected(WeChatRejected.default_message + text, errcode=errcode, errmsg=errmsg)


# --- the shared access-token store ---------------------------------------------------
class MemoryTokenStorage(SessionStorage):
    """wechatpy's session storage in one process, with the TTL wechatpy's own one ignores."""

    def __init__(self):
        self._data: dict[str, tuple[object, float | None]] = {}
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def get(self, key, default=None):
        with self._guard:
            item = self._data.get(key)
            if item is None or (item[1] is not None and item[1] < time.monotonic()):
                self._data.pop(key, None)
                return default
            return item[0]

    def set(self, key, value, ttl=None):
        if value is None:
            return
        with self._guard:
            self._data[key] = (value, time.monotonic() + ttl if ttl else None)

    def delete(self, key):
        with self._guard:
            self._data.pop(key, None)

    def clear(self) -> None:
        with self._guard:
            self._data.clear()

    @contextmanager
    def lock(self, name: str, timeout: float):
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        acquired = lock.acquire(timeout=timeout)
        try:
            yield
        finally:
            if acquired:
                lock.release()


class RedisTokenStorage(RedisStorage):
    """wechatpy's Redis storage, plus the fetch lock shared by every worker."""

    @contextmanager
    def lock(self, name: str, timeout: float):
        key = self.key_name(f"lock:{name}")
        deadline = time.monotonic() + timeout
        acquired = False
        while not acquired:
            acquired = bool(self.redis.set(key, "1", nx=True, ex=int(timeout) + 5))
            if acquired or time.monotonic() > deadline:
                break  # past the deadline, go ahead: a second fetch beats a stuck worker
            time.sleep(0.05)
        try:
            yield
        finally:
            if acquired:
                self.redis.delete(key)


def token_storage(app) -> SessionStorage:
    """The app's one token store (created on first use)."""
    storage = app.extensions.get(EXTENSION_KEY)
    if storage is None:
        url = app.config.get("REDIS_URL")
        if url:
            import redis

            storage = RedisTokenStorage(
                redis.Redis.from_url(url, socket_timeout=5), prefix="unioncard:wechat"
            )
        else:
            storage = MemoryTokenStorage()
        storage = app.extensions.setdefault(EXTENSION_KEY, storage)
    return storage


# --- wechatpy, held to the configured base URL and timeout ---------------------------
class _WxClient(_WeChatPyClient):
    def __init__(self, appid, secret, *, base_url: str, timeout: float, storage):
        super().__init__(appid, secret, session=storage, timeout=timeout, auto_retry=False)
        self.base_url = base_url.rstrip("/")
        # GETs (token, code2Session) are retried on connection errors; POSTs never (a send
        # that reached WeChat must not go twice)
        self._http = retrying_session(
            Retry(
                total=2,
                connect=2,
                read=0,
                status=0,
                other=0,
                redirect=False,
                allowed_methods=frozenset({"GET"}),
                backoff_factor=0.2,
                raise_on_status=False,
            )
        )

    def rebase(self, url: str) -> str:
        """The configured host instead of the official one; any other host is refused."""
        for official in OFFICIAL_BASES:
            if url.startswith(official + "/"):
                return self.base_url + url[len(official) :]
        if url.startswith(self.base_url + "/"):
            return url
        raise WeChatConfigError(f"拒绝访问微信接口之外的地址：{url}")

    def _request(self, method, url_or_endpoint, **kwargs):
        if not url_or_endpoint.startswith(("http://", "https://")):
            base = kwargs.pop("api_base_url", None) or self.API_BASE_URL
            url_or_endpoint = base + url_or_endpoint
        url = self.rebase(url_or_endpoint)
        kwargs.pop("api_base_url", None)
        kwargs["timeout"] = self.timeout
        params = dict(kwargs.pop("params", None) or {})
        for attempt in (1, 2):
            sent = dict(params)  # wechatpy writes the token it used into this dict
            try:
                return self._send(method, url, params=sent, **kwargs)
            except WeChatError as exc:
                stale = sent.get("access_token")
                if attempt == 1 and exc.errcode in TOKEN_ERRORS and stale:
                    self.fetch_access_token(stale=stale)
                    continue
                raise
        raise AssertionError("unreachable")

    def _send(self, method, url, **kwargs):
        try:
            result = super()._request(method, url, **kwargs)
        except WeChatClientException as exc:
            if exc.errcode is None:  # an HTTP error status
                status = exc.response.status_code if exc.response is not None else 0
                if status >= 500 or status == 429 or status == 0:
                    raise WeChatUnavailable(
                        f"微信服务暂时无法处理（HTTP {status}），请稍后重试"
                    ) from exc
                raise WeChatRejected(f"微信拒绝了请求（HTTP {status}）") from exc
            raise _error_for(exc.errcode, exc.errmsg) from exc
        except requests.RequestException as exc:
            raise WeChatUnavailable(f"微信服务暂时无法访问：{type(exc).__name__}") from exc
        if not isinstance(result, dict):
            raise WeChatBadResponse("微信返回的不是 JSON")
        return result

    @property
    def access_token(self):
        token = self.session.get(self.access_token_key)
        if not token:
            self.fetch_access_token()
            token = self.session.get(self.access_token_key)
        return token

    def fetch_access_token(self, stale: str | None = None) -> dict:
        """Fetch a token unless another caller already replaced the stale (or missing) one."""
        with self.session.lock(self.appid, timeout=float(self.timeout or 10) + 1):
            current = self.session.get(self.access_token_key)
            if current and current != stale:
                return {"access_token": current}
            try:
                res = self._http.get(
                    self.base_url + "/cgi-bin/token",
                    params={
                        "grant_type": "client_credential",
                        "appid": self.appid,
                        "secret": self.secret,
                    },
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                raise WeChatUnavailable(f"微信服务暂时无法访问：{type(exc).__name__}") from exc
            if res.status_code >= 500 or res.status_code == 429:
                raise WeChatUnavailable(f"微信服务暂时无法处理（HTTP {res.status_code}）")
            if res.status_code != 200:
                raise WeChatRejected(f"微信拒绝了获取凭证的请求（HTTP {res.status_code}）")
            try:
                result = res.json()
            except ValueError as exc:
                raise WeChatBadResponse("微信返回的不是 JSON") from exc
            if not isinstance(result, dict):
                raise WeChatBadResponse()
            if result.get("errcode"):
                raise _error_for(int(result["errcode"]), result.get("errmsg"))
            token = result.get("access_token")
            if not isinstance(token, str) or not token:
                raise WeChatBadResponse("微信返回的接口调用凭证为空")
            expires_in = int(result.get("expires_in") or 7200)
            self.session.set(self.access_token_key, token, max(60, expires_in - TOKEN_MARGIN))
            self.expires_at = None
            return result


class WeChatClient:
    """The three calls the platform makes to WeChat (see the module docstring)."""

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        *,
        base_url: str = OFFICIAL_BASES[0],
        timeout: float = 10,
        storage: SessionStorage | None = None,
    ):
        if not app_id or not app_secret:
            raise WeChatConfigError("未配置微信 AppID 或 AppSecret")
        self._wx = _WxClient(
            app_id,
            app_secret,
            base_url=base_url,
            timeout=timeout,
            storage=storage if storage is not None else MemoryTokenStorage(),
        )

    @classmethod
    def from_app(cls, app=None, *, official_account: bool = False) -> WeChatClient:
        """The mini-program's client, or with ``official_account`` the service hall's
        official account (``WECHAT_OA_APP_ID`` / ``WECHAT_OA_APP_SECRET``)."""
        if app is None:
            from flask import current_app

            app = current_app._get_current_object()
        cfg = app.config
        prefix = "WECHAT_OA_" if official_account else "WECHAT_"
        return cls(
            cfg[prefix + "APP_ID"],
            cfg[prefix + "APP_SECRET"],
            base_url=cfg.get("WECHAT_API_BASE_URL") or OFFICIAL_BASES[0],
            timeout=float(cfg.get("WECHAT_TIMEOUT") or 10),
            storage=token_storage(app),
        )

    @property
    def base_url(self) -> str:
        return self._wx.base_url

    def close(self) -> None:
        self._wx._http.close()

    def __enter__(self) -> WeChatClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def access_token(self) -> str:
        """The shared token (fetched when there is none)."""
        return self._wx.access_token

    def code_to_session(self, code: str) -> dict:
        """登录凭证校验 (code2Session): ``{openid, unionid (may be None), session_key}``."""
        if not isinstance(code, str) or not code.strip():
            raise WeChatInvalidCode()
        # code2Session takes the secret, not an access token: None keeps wechatpy from adding one
        result = self._wx._request(
            "get",
            "sns/jscode2session",
            api_base_url=OFFICIAL_BASES[0] + "/",
            params={
                "appid": self._wx.appid,
                "secret": self._wx.secret,
                "js_code": code.strip(),
                "grant_type": "authorization_code",
                "access_token": None,
            },
        )
        openid = result.get("openid")
        if not isinstance(openid, str) or not openid:
            raise WeChatBadResponse("微信登录答复缺少 openid")
        unionid = result.get("unionid")
        return {
            "openid": openid,
            "unionid": unionid if isinstance(unionid, str) and unionid else None,
            "session_key": result.get("session_key"),
        }

    def phone_number(self, phone_code: str) -> str:
        """手机号快速验证 (getuserphonenumber): the number without the country code."""
        if not isinstance(phone_code, str) or not phone_code.strip():
            raise WeChatInvalidCode()
        result = self._wx._request(
            "post",
            "wxa/business/getuserphonenumber",
            api_base_url=OFFICIAL_BASES[0] + "/",
            data={"code": phone_code.strip()},
        )
        info = result.get("phone_info")
        number = info.get("purePhoneNumber") if isinstance(info, dict) else None
        if not isinstance(number, str) or not number:
            raise WeChatBadResponse("微信手机号答复缺少 purePhoneNumber")
        return number

    def send_subscribe_message(
        self, openid: str, template_id: str, data: dict, page: str | None = None
    ) -> None:
        """发送订阅消息. ``data``: ``{"thing1": "text"}`` or ``{"thing1": {"value": "text"}}``."""
        body = {
            "touser": openid,
            "template_id": template_id,
            "data": {
                key: value if isinstance(value, dict) else {"value": str(value)}
                for key, value in data.items()
            },
        }
        if page:
            body["page"] = page
        self._wx._request(
            "post",
            "cgi-bin/message/subscribe/send",
            api_base_url=OFFICIAL_BASES[0] + "/",
            data=body,
        )

    # --- the official account (公众号) of the service hall ------------------------------
    def user_unionid(self, openid: str) -> str | None:
        """获取用户基本信息 (cgi-bin/user/info): the unionid of a user of the official
        account, None when the account is not bound to the open platform."""
        result = self._wx.user.get(openid)
        unionid = result.get("unionid")
        return unionid if isinstance(unionid, str) and unionid else None

    def send_template(
        self, openid: str, template_id: str, data: dict, url: str | None = None
    ) -> None:
        """发送模板消息 (wechatpy ``message.send_template``); ``data`` as for subscribe."""
        fields = {
            key: value if isinstance(value, dict) else {"value": str(value)}
            for key, value in data.items()
        }
        self._wx.message.send_template(openid, template_id, fields, url=url)
