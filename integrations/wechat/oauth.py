"""网页授权 of the service hall's official account (公众号), outbound, on wechatpy's
``WeChatOAuth``.

``WeChatWebOAuth.from_app()`` builds it from ``WECHAT_OA_APP_ID`` / ``WECHAT_OA_APP_SECRET``;
``WECHAT_OAUTH_BASE_URL`` is where the member's browser is sent to authorize
(``https://open.weixin.qq.com/connect/``) and ``WECHAT_API_BASE_URL`` where the code is
exchanged (``sns/oauth2/access_token``, ``sns/userinfo``), with ``WECHAT_TIMEOUT``.

- ``authorize_url(redirect_uri, state, scope)``: the URL the browser goes to;
- ``exchange(code, scope)`` → ``{openid, unionid}``: the code (single use at WeChat) for the
  member's openid in the official account; the unionid from the answer, from
  ``sns/userinfo`` (snsapi_userinfo) or, for snsapi_base, from ``cgi-bin/user/info`` with
  the account's own access token (users who follow the account); None when the account
  is not bound to the open platform.

Failures are the ``WeChatError`` family of ``client.py``.
"""

from __future__ import annotations

import requests
from urllib3.util.retry import Retry
from wechatpy.exceptions import WeChatOAuthException
from wechatpy.oauth import WeChatOAuth

from ..http import retrying_session
from .client import (
    OFFICIAL_BASES,
    WeChatBadResponse,
    WeChatClient,
    WeChatConfigError,
    WeChatError,
    WeChatRejected,
    WeChatUnavailable,
    _error_for,
)

SCOPES = ("snsapi_base", "snsapi_userinfo")
OAUTH_BASE = "https://open.weixin.qq.com/connect/"


class _OAuth(WeChatOAuth):
    """wechatpy's OAuth held to the configured hosts, with a timeout and a retrying session."""

    def __init__(self, app_id, secret, *, api_base: str, oauth_base: str, timeout: float):
        super().__init__(app_id, secret, redirect_uri="", scope="snsapi_base")
        self.API_BASE_URL = api_base.rstrip("/") + "/"
        self.OAUTH_BASE_URL = oauth_base.rstrip("/") + "/"
        self.timeout = timeout
        self._http = retrying_session(
            Retry(total=2, connect=2, read=0, status=0, other=0, redirect=False,
                  allowed_methods=frozenset({"GET"}), backoff_factor=0.2,
                  raise_on_status=False)
        )  # fmt: skip

    def _request(self, method, url_or_endpoint, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("allow_redirects", False)
        try:
            result = super()._request(method, url_or_endpoint, **kwargs)
        except WeChatOAuthException as exc:
            if exc.errcode is None:
                status = exc.response.status_code if exc.response is not None else 0
                if status >= 500 or status in (0, 429):
                    raise WeChatUnavailable(f"微信服务暂时无法处理（HTTP {status}）") from exc
                raise WeChatRejected(f"微信拒绝了请求（HTTP {status}）") from exc
            raise _error_for(exc.errcode, exc.errmsg) from exc
        except requests.RequestException as exc:
            raise WeChatUnavailable(f"微信服务暂时无法访问：{type(exc).__name__}") from exc
        except ValueError as exc:
            raise WeChatBadResponse("微信返回的不是 JSON") from exc
        if not isinstance(result, dict):
            raise WeChatBadResponse("微信返回的不是 JSON")
        return result


class WeChatWebOAuth:
    """The official account's web authorization (see the module docstring)."""

    def __init__(self, app_id, secret, *, api_base=OFFICIAL_BASES[0], oauth_base=OAUTH_BASE,
                 timeout: float = 10, account: WeChatClient | None = None):  # fmt: skip
        if not app_id or not secret:
            raise WeChatConfigError("未配置公众号 AppID 或 AppSecret")
        self._oauth = _OAuth(app_id, secret, api_base=api_base, oauth_base=oauth_base,
                             timeout=timeout)  # fmt: skip
        self._account = account

    @classmethod
    def from_app(cls, app=None) -> WeChatWebOAuth:
        if app is None:
            from flask import current_app

            app = current_app._get_current_object()
        cfg = app.config
        return cls(
            cfg["WECHAT_OA_APP_ID"],
            cfg["WECHAT_OA_APP_SECRET"],
            api_base=cfg.get("WECHAT_API_BASE_URL") or OFFICIAL_BASES[0],
            oauth_base=cfg.get("WECHAT_OAUTH_BASE_URL") or OAUTH_BASE,
            timeout=float(cfg.get("WECHAT_TIMEOUT") or 10),
            account=WeChatClient.from_app(app, official_account=True),
        )

    def close(self) -> None:
        self._oauth._http.close()
        if self._account is not None:
            self._account.close()

    def authorize_url(self, redirect_uri: str, state: str, scope: str = "snsapi_base") -> str:
        if scope not in SCOPES:
            raise WeChatConfigError(f"不支持的授权范围：{scope}")
        self._oauth.redirect_uri, self._oauth.state, self._oauth.scope = redirect_uri, state, scope
        return self._oauth.authorize_url

    def exchange(self, code: str, scope: str = "snsapi_base") -> dict:
        """The code for ``{openid, unionid}``; the code works once (40163 after)."""
        from .client import WeChatInvalidCode

        if not isinstance(code, str) or not code.strip() or len(code) > 128:
            raise WeChatInvalidCode("授权码无效，请重新进入服务大厅")
        result = self._oauth.fetch_access_token(code.strip())
        openid = result.get("openid")
        if not isinstance(openid, str) or not openid:
            raise WeChatBadResponse("微信网页授权答复缺少 openid")
        unionid = result.get("unionid")
        if not unionid and result.get("scope") == "snsapi_userinfo":
            unionid = self._oauth.get_user_info(openid, result.get("access_token")).get("unionid")
        elif not unionid and self._account is not None:
            try:
                unionid = self._account.user_unionid(openid)
            except WeChatRejected:  # e.g. 40003: not a follower; no unionid to be had
                unionid = None
        return {"openid": openid, "unionid": unionid if isinstance(unionid, str) and unionid
                else None}  # fmt: skip


__all__ = ["SCOPES", "WeChatError", "WeChatWebOAuth"]
