"""WeChat Pay API v3 (微信支付 APIv3), outbound, for a mini-program's JSAPI payments.

``WeChatPayClient`` places and queries JSAPI orders, closes them, asks for refunds, builds the
``wx.requestPayment`` parameters and reads notifications (signature checked, resource
decrypted). Every request is signed with the merchant key and every answer's signature is
checked against the platform public key before its body is believed (``signing.py``).

All calls are idempotent at WeChat Pay (an order by ``out_trade_no``, a refund by
``out_refund_no``, a close), so the session retries connection failures, read timeouts and
5xx answers a couple of times; the callers' tasks retry later with the same numbers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

import requests
from urllib3.util.retry import Retry

from ..http import IntegrationError, retrying_session
from . import signing

__all__ = [
    "Notification",
    "NotificationInvalid",
    "NotificationUndecryptable",
    "WeChatPayBadResponse",
    "WeChatPayClient",
    "WeChatPayError",
    "WeChatPayNotFound",
    "WeChatPayRejected",
    "WeChatPaySignatureInvalid",
    "WeChatPayUnavailable",
]

DEFAULT_BASE_URL = "https://api.mch.weixin.qq.com"


class WeChatPayError(IntegrationError):
    """Base of every failure talking to WeChat Pay; ``message`` is for a person."""

    default_message = "微信支付接口调用失败"


class WeChatPayUnavailable(WeChatPayError):
    """Unreachable, timed out, 5xx or 429 (SYSTEM_ERROR, FREQUENCY_LIMITED): retry later."""

    default_message = "微信支付暂时无法访问，请稍后重试"


class WeChatPayRejected(WeChatPayError):
    """A 4xx with WeChat Pay's ``code`` (PARAM_ERROR, ORDERPAID, NOT_ENOUGH ...)."""

    def __init__(self, status: int, code: str, detail: str):
        self.status, self.code, self.detail = status, code, detail
        super().__init__(f"微信支付拒绝了请求（{code}）：{detail[:200]}")


class WeChatPayNotFound(WeChatPayRejected):
    """404 ORDER_NOT_EXIST / RESOURCE_NOT_EXISTS."""


class WeChatPayBadResponse(WeChatPayError):
    """An answer that is not what the v3 protocol says."""

    default_message = "微信支付返回的数据不符合接口约定"


class WeChatPaySignatureInvalid(WeChatPayError):
    """An answer whose platform signature does not verify: never believed."""

    default_message = "微信支付应答签名校验失败"


class NotificationInvalid(WeChatPayError):
    """A notification without WeChat Pay's valid signature (answer 401)."""

    default_message = "通知签名校验失败"


class NotificationUndecryptable(WeChatPayError):
    """A signed notification whose resource is malformed or not sealed with our key (400)."""

    default_message = "通知内容无法解析或解密"


class Notification(dict):
    """A verified notification: ``id``, ``event_type``, ``create_time``, ``summary`` and the
    decrypted ``resource`` (a dict: the transaction or the refund)."""

    @property
    def id(self) -> str:
        return self["id"]

    @property
    def event_type(self) -> str:
        return self["event_type"]

    @property
    def resource(self) -> dict:
        return self["resource"]


def _dumps(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


class WeChatPayClient:
    """One merchant account, configured in the constructor; reuse one instance per process."""

    def __init__(
        self,
        *,
        mch_id: str,
        mch_serial: str,
        private_key: str,
        platform_public_key: str,
        platform_serial: str,
        apiv3_key: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: tuple[float, float] = (3.05, 10),
        retries: int = 2,
        signature_window: int = 300,
        session: requests.Session | None = None,
    ):
        if not all((mch_id, mch_serial, private_key, platform_public_key, platform_serial)):
            raise ValueError("mch_id, mch_serial, private_key and the platform key are required")
        signing.private_key(private_key)  # fail at start-up, not at the first payment
        signing.public_key(platform_public_key)
        if len(apiv3_key.encode()) != 32:
            raise ValueError("the APIv3 key has 32 characters")
        self.mch_id, self.mch_serial = mch_id, mch_serial
        self._private_key, self._apiv3_key = private_key, apiv3_key
        self.platform_public_key, self.platform_serial = platform_public_key, platform_serial
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.signature_window = signature_window
        if session is None:
            session = retrying_session(
                Retry(
                    total=retries,
                    connect=retries,
                    read=retries,
                    status=retries,
                    other=False,
                    redirect=False,
                    allowed_methods=None,  # every v3 call we make is idempotent
                    status_forcelist=(500, 502, 503, 504),
                    backoff_factor=0.2,
                    raise_on_status=False,
                    respect_retry_after_header=False,
                )
            )
        self.session = session

    def close(self) -> None:
        self.session.close()

    # -- orders ------------------------------------------------------------------------

    def jsapi_order(
        self,
        *,
        appid: str,
        openid: str,
        out_trade_no: str,
        amount_fen: int,
        description: str,
        notify_url: str,
        time_expire: str | None = None,
        attach: str | None = None,
    ) -> str:
        """JSAPI下单 (POST /v3/pay/transactions/jsapi); returns the ``prepay_id``."""
        if not isinstance(amount_fen, int) or amount_fen <= 0:
            raise ValueError("amount_fen must be a positive int")
        payload = {
            "appid": appid,
            "mchid": self.mch_id,
            "description": description[:127],
            "out_trade_no": out_trade_no,
            "notify_url": notify_url,
            "amount": {"total": amount_fen, "currency": "CNY"},
            "payer": {"openid": openid},
        }
        if time_expire:
            payload["time_expire"] = time_expire
        if attach:
            payload["attach"] = attach
        answer = self._call("POST", "/v3/pay/transactions/jsapi", payload)
        prepay_id = answer.get("prepay_id") if isinstance(answer, dict) else None
        if not isinstance(prepay_id, str) or not prepay_id:
            raise WeChatPayBadResponse("微信支付下单应答缺少 prepay_id")
        return prepay_id

    def query_order(self, out_trade_no: str) -> dict:
        """查询订单 by our number: the transaction (``trade_state`` SUCCESS, NOTPAY, CLOSED,
        REFUND ...); ``WeChatPayNotFound`` for an unknown number."""
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}"
        answer = self._call("GET", f"{path}?mchid={quote(self.mch_id, safe='')}")
        if not isinstance(answer, dict) or answer.get("out_trade_no") != out_trade_no:
            raise WeChatPayBadResponse("微信支付查单应答与订单号不符")
        if not isinstance(answer.get("trade_state"), str):
            raise WeChatPayBadResponse("微信支付查单应答缺少 trade_state")
        return answer

    def close_order(self, out_trade_no: str) -> None:
        """关闭订单 (204). WeChat Pay refuses (ORDERPAID) once the member has paid."""
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}/close"
        self._call("POST", path, {"mchid": self.mch_id})

    # -- refunds -----------------------------------------------------------------------

    def refund(
        self,
        *,
        out_trade_no: str,
        out_refund_no: str,
        refund_fen: int,
        total_fen: int,
        reason: str,
        notify_url: str,
        transaction_id: str | None = None,
    ) -> dict:
        """申请退款 (POST /v3/refund/domestic/refunds): the refund, ``status`` SUCCESS,
        PROCESSING, CLOSED or ABNORMAL. The same ``out_refund_no`` never refunds twice.
        ``transaction_id`` names one payment of the order (a second payment refunded)."""
        payload = {
            **(
                {"transaction_id": transaction_id}
                if transaction_id
                else {"out_trade_no": out_trade_no}
            ),
            "out_refund_no": out_refund_no,
            "reason": reason[:80],
            "notify_url": notify_url,
            "amount": {"refund": refund_fen, "total": total_fen, "currency": "CNY"},
        }
        answer = self._call("POST", "/v3/refund/domestic/refunds", payload)
        return self._refund_answer(answer, out_refund_no)

    def query_refund(self, out_refund_no: str) -> dict:
        """查询单笔退款."""
        answer = self._call("GET", f"/v3/refund/domestic/refunds/{quote(out_refund_no, safe='')}")
        return self._refund_answer(answer, out_refund_no)

    @staticmethod
    def _refund_answer(answer, out_refund_no: str) -> dict:
        if not isinstance(answer, dict) or answer.get("out_refund_no") != out_refund_no:
            raise WeChatPayBadResponse("微信支付退款应答与退款单号不符")
        if answer.get("status") not in ("SUCCESS", "PROCESSING", "CLOSED", "ABNORMAL"):
            raise WeChatPayBadResponse("微信支付退款应答的状态无法识别")
        return answer

    # -- the mini-program's side -------------------------------------------------------

    def request_payment_params(
        self, appid: str, prepay_id: str, *, now: float | None = None, nonce: str | None = None
    ) -> dict:
        """What ``wx.requestPayment`` takes: appId, timeStamp, nonceStr, package, signType,
        paySign (the merchant's RSA signature)."""
        timestamp = str(int(time.time() if now is None else now))
        nonce = nonce or signing.new_nonce()
        package = f"prepay_id={prepay_id}"
        text = f"{appid}\n{timestamp}\n{nonce}\n{package}\n"
        return {
            "appId": appid,
            "timeStamp": timestamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": signing.sign(self._private_key, text),
        }

    # -- notifications -----------------------------------------------------------------

    def parse_notification(
        self, headers: Mapping[str, str], body: bytes, *, now: float | None = None
    ) -> Notification:
        """Check the platform signature of a notification, then decrypt its resource.

        ``NotificationInvalid`` (answer 401) before anything is read from the body;
        ``NotificationUndecryptable`` (answer 400) for a signed body we cannot open."""
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NotificationInvalid("通知不是 UTF-8 文本") from exc
        try:
            signing.check_signed(
                headers,
                text,
                public_pem=self.platform_public_key,
                serial=self.platform_serial,
                window=self.signature_window,
                now=now,
            )
        except signing.CryptoError as exc:
            raise NotificationInvalid(str(exc)) from None
        try:
            envelope = json.loads(text)
            resource = envelope["resource"]
            if resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise NotificationUndecryptable("通知加密算法不是 AEAD_AES_256_GCM")
            plain = signing.decrypt(
                self._apiv3_key,
                resource["ciphertext"],
                resource.get("associated_data") or "",
                resource["nonce"],
            )
            decrypted = json.loads(plain)
            if not isinstance(decrypted, dict):
                raise ValueError("resource is not an object")
            notice_id, event_type = envelope["id"], envelope["event_type"]
            if not (isinstance(notice_id, str) and notice_id and isinstance(event_type, str)):
                raise ValueError("id and event_type are strings")
        except NotificationUndecryptable:
            raise
        except signing.CryptoError as exc:
            raise NotificationUndecryptable(str(exc)) from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise NotificationUndecryptable(f"通知格式不正确：{type(exc).__name__}") from None
        return Notification(
            id=notice_id[:64],
            event_type=event_type[:40],
            create_time=envelope.get("create_time"),
            summary=envelope.get("summary"),
            resource=decrypted,
        )

    # -- plumbing ----------------------------------------------------------------------

    def _call(self, method: str, path_and_query: str, payload: dict | None = None):
        url = self.base_url + path_and_query
        body = "" if payload is None else _dumps(payload)
        parts = urlsplit(url)
        signed_url = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {
            "Authorization": signing.authorization(
                self.mch_id, self.mch_serial, self._private_key, method, signed_url, body
            ),
            "Accept": "application/json",
            "User-Agent": "unioncard-wechatpay-v3",
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self.session.request(
                method,
                url,
                data=body.encode() if payload is not None else None,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise WeChatPayUnavailable(f"微信支付暂时无法访问：{type(exc).__name__}") from exc
        status = response.status_code
        if status == 429 or status >= 500:
            raise WeChatPayUnavailable(f"微信支付暂时无法处理（HTTP {status}），请稍后重试")
        text = response.content.decode("utf-8", errors="replace")
        if 400 <= status < 500:
            raise self._rejected(status, text)
        if status not in (200, 204):
            raise WeChatPayBadResponse(f"微信支付返回了约定之外的状态码 HTTP {status}")
        try:
            signing.check_signed(
                response.headers,
                text,
                public_pem=self.platform_public_key,
                serial=self.platform_serial,
                window=self.signature_window,
            )
        except signing.CryptoError as exc:
            raise WeChatPaySignatureInvalid(f"微信支付应答签名校验失败：{exc}") from None
        if status == 204 or not text:
            return None
        try:
            return json.loads(text)
        except ValueError as exc:
            raise WeChatPayBadResponse("微信支付返回的不是 JSON") from exc

    @staticmethod
    def _rejected(status: int, text: str) -> WeChatPayRejected:
        try:
            answer = json.loads(text)
        except ValueError:
            answer = {}
        answer = answer if isinstance(answer, dict) else {}
        code = str(answer.get("code") or f"HTTP_{status}")
        detail = str(answer.get("message") or text[:200])
        cls = WeChatPayNotFound if status == 404 else WeChatPayRejected
        return cls(status, code, detail)
