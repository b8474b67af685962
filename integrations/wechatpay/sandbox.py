"""Loopback sandbox of WeChat Pay API v3 (JSAPI orders, close, refunds, notifications).

It speaks the real protocol: every request must carry our ``WECHATPAY2-SHA256-RSA2048``
signature (merchant key; mchid and serial must match; timestamp within 300 s; nonces are not
remembered, as WeChat Pay lets a retried request through), and every answer and notification
is signed with the platform key; notification resources are AES-256-GCM under the APIv3 key.

Deterministic rules:

| endpoint | rule |
|---|---|
| POST /v3/pay/transactions/jsapi | appid/mchid must be ours (400 APPID_MCHID_NOT_MATCH); ``out_trade_no`` 6-32 of ``[A-Za-z0-9_-]``; ``amount.total`` a positive int; ``payer.openid`` and an http(s) ``notify_url`` present (400 PARAM_ERROR). ``prepay_id`` = "wx" + the first 30 hex of SHA-256(out_trade_no). A repeat with the same body answers the same prepay_id; a different body 400 INVALID_REQUEST; a paid order 400 ORDERPAID; a closed one 400 ORDER_CLOSED. An ``amount.total`` of 1599 fen answers 503 SYSTEM_ERROR (a WeChat outage). |
| GET /v3/pay/transactions/out-trade-no/{no}?mchid= | the transaction (trade_state NOTPAY, SUCCESS, CLOSED, REFUND); 404 ORDER_NOT_EXIST |
| POST …/out-trade-no/{no}/close | NOTPAY or CLOSED → 204 CLOSED; SUCCESS/REFUND → 400 ORDERPAID |
| POST /v3/refund/domestic/refunds | by ``out_trade_no`` or ``transaction_id`` (a second payment's too); order unknown 404 RESOURCE_NOT_EXISTS; not paid 400 INVALID_REQUEST; ``amount.total`` ≠ the order's 400 PARAM_ERROR; more than what is left 400 NOT_ENOUGH. A known ``out_refund_no`` answers that refund again (never refunds twice). New refunds answer PROCESSING and turn SUCCESS after ``refund_delay`` s, then a REFUND.SUCCESS notification goes to the refund's ``notify_url``. |
| GET /v3/refund/domestic/refunds/{out_refund_no} | the refund; 404 RESOURCE_NOT_EXISTS |
| POST /sandbox/pay/{out_trade_no} (unsigned, the sandbox's own) | the member pays: NOTPAY → SUCCESS (``transaction_id`` = "4200" + 24 digits from SHA-256(out_trade_no)), then a TRANSACTION.SUCCESS notification to the order's ``notify_url``; already paid 200 ``already_paid`` (no new notification); closed 409; unknown 404 |
| POST /sandbox/pay/{out_trade_no}/again (the sandbox's own) | a paid order paid a second time: a new ``transaction_id`` and its TRANSACTION.SUCCESS notification (refundable by that id) |

With ``auto_pay_after`` set (seconds), every new order is paid that long after it is placed.
Notifications (id = "EV-" + 20 hex of SHA-256(kind:number)) are retried while the answer is
not 2xx or the service is unreachable (``notify_retries`` times, back-off from
``retry_backoff`` s), as WeChat Pay does. Tests steer it through
``app.extensions["wechatpay_sandbox"]`` (a ``WeChatPaySandbox``; the Flask app that speaks
the protocol is ``sandbox_app.create_wechatpay_sandbox``): ``pay``, ``fail_next``,
``notifications`` (every delivery with its exact headers and body, for replays),
``wait_idle``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import requests

from . import signing

log = logging.getLogger(__name__)

_CHINA_TZ = timezone(timedelta(hours=8))
_OUT_NO = re.compile(r"[A-Za-z0-9_\-|*]{6,64}")
OUTAGE_AMOUNT = 1599


def now_iso() -> str:
    return datetime.now(_CHINA_TZ).isoformat(timespec="seconds")


def _digits(text: str, n: int) -> str:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
    return str(seed % 10**n).zfill(n)


def prepay_id_for(out_trade_no: str) -> str:
    return "wx" + hashlib.sha256(out_trade_no.encode()).hexdigest()[:30]


def transaction_id_for(out_trade_no: str) -> str:
    return "4200" + _digits(f"tx:{out_trade_no}", 24)


def refund_id_for(out_refund_no: str) -> str:
    return "5030" + _digits(f"refund:{out_refund_no}", 25)


@dataclass
class SandboxOrder:
    payload: dict
    prepay_id: str
    trade_state: str = "NOTPAY"
    transaction_id: str | None = None
    success_time: str | None = None
    refunded: int = 0
    # a second payment of the same order (paid twice): transaction_id -> fen refunded of it
    duplicates: dict = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.payload["amount"]["total"]


@dataclass
class SandboxRefund:
    payload: dict
    refund_id: str
    out_trade_no: str = ""
    transaction_id: str | None = None
    status: str = "PROCESSING"
    create_time: str = field(default_factory=now_iso)
    success_time: str | None = None


@dataclass
class SentNotification:
    """One notification as delivered: replay it byte for byte with ``headers`` and ``body``."""

    kind: str
    url: str
    headers: dict
    body: bytes
    statuses: list = field(default_factory=list)  # HTTP status of each attempt, None: no answer


class WeChatPaySandbox:
    def __init__(self, *, mch_id, appid, merchant_public_key, merchant_serial,
                 platform_private_key, platform_serial, apiv3_key, auto_pay_after=None,
                 refund_delay=0.2, notify_retries=4, retry_backoff=0.2,
                 oa_appid=None):  # fmt: skip
        self.mch_id, self.appid = mch_id, appid
        # the mini-program's and the official account's (服务大厅) AppIDs, both bound to the
        # merchant
        self.appids = frozenset({appid} | ({oa_appid} if oa_appid else set()))
        self.merchant_public_key, self.merchant_serial = merchant_public_key, merchant_serial
        self._platform_key, self.platform_serial = platform_private_key, platform_serial
        self._apiv3_key = apiv3_key
        self.auto_pay_after, self.refund_delay = auto_pay_after, refund_delay
        self.notify_retries, self.retry_backoff = notify_retries, retry_backoff
        self.orders: dict[str, SandboxOrder] = {}
        self.refunds: dict[str, SandboxRefund] = {}
        self.notifications: list[SentNotification] = []
        self._lock = threading.Condition()
        self._active = self._failures = 0
        self._stopped = threading.Event()

    # -- knobs ---------------------------------------------------------------------------

    def fail_next(self, n: int = 1) -> None:
        """The next ``n`` signed API calls answer 503 SYSTEM_ERROR."""
        with self._lock:
            self._failures = n

    def take_failure(self) -> bool:
        with self._lock:
            failing, self._failures = self._failures > 0, max(self._failures - 1, 0)
            return failing

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no notification or refund is still in flight; False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: self._active == 0, timeout)

    def close(self) -> None:
        self._stopped.set()

    # -- orders ----------------------------------------------------------------------------

    def place(self, body: dict) -> tuple[int, dict]:
        problem = self._order_problem(body)
        if problem:
            return problem
        no = body["out_trade_no"]
        if body["amount"]["total"] == OUTAGE_AMOUNT:
            return 503, {"code": "SYSTEM_ERROR", "message": "系统繁忙，请稍后重试"}
        with self._lock:
            order = self.orders.get(no)
            if order is None:
                order = self.orders[no] = SandboxOrder(body, prepay_id_for(no))
                if self.auto_pay_after is not None:
                    self._later(self.auto_pay_after, self.pay, no)
                return 200, {"prepay_id": order.prepay_id}
            if order.trade_state in ("SUCCESS", "REFUND"):
                return 400, {"code": "ORDERPAID", "message": "该订单已支付"}
            if order.trade_state == "CLOSED":
                return 400, {"code": "ORDER_CLOSED", "message": "该订单已关闭"}
            if order.payload != body:
                return 400, {"code": "INVALID_REQUEST", "message": "商户订单号重复，参数不一致"}
            return 200, {"prepay_id": order.prepay_id}

    def _order_problem(self, body) -> tuple[int, dict] | None:
        def param(message):
            return 400, {"code": "PARAM_ERROR", "message": message}

        if not isinstance(body, dict):
            return param("请求体须为 JSON 对象")
        if body.get("appid") not in self.appids or body.get("mchid") != self.mch_id:
            return 400, {"code": "APPID_MCHID_NOT_MATCH", "message": "appid和mch_id不匹配"}
        if (
            not isinstance(body.get("out_trade_no"), str)
            or not _OUT_NO.fullmatch(body["out_trade_no"])
            or len(body["out_trade_no"]) > 32
        ):
            return param("out_trade_no 须为 6-32 位字母、数字或 _-|*")
        amount = body.get("amount")
        total = amount.get("total") if isinstance(amount, dict) else None
        if not isinstance(total, int) or isinstance(total, bool) or total <= 0:
            return param("amount.total 须为正整数（分）")
        payer = body.get("payer")
        if (
            not isinstance(payer, dict)
            or not isinstance(payer.get("openid"), str)
            or not payer["openid"]
        ):
            return param("缺少 payer.openid")
        if not isinstance(body.get("notify_url"), str) or urlsplit(
            body["notify_url"]
        ).scheme not in (
            "http",
            "https",
        ):
            return param("notify_url 须为 http(s) 地址")
        if not isinstance(body.get("description"), str) or not body["description"]:
            return param("缺少 description")
        return None

    def transaction(self, order: SandboxOrder) -> dict:
        body = order.payload
        answer = {
            "appid": body["appid"],
            "mchid": body["mchid"],
            "out_trade_no": body["out_trade_no"],
            "trade_type": "JSAPI",
            "trade_state": order.trade_state,
            "trade_state_desc": {
                "NOTPAY": "未支付",
                "SUCCESS": "支付成功",
                "CLOSED": "已关闭",
                "REFUND": "转入退款",
            }[order.trade_state],  # fmt: skip
            "amount": {"total": order.total, "currency": "CNY"},
            "payer": {"openid": body["payer"]["openid"]},
        }
        if body.get("attach"):
            answer["attach"] = body["attach"]
        if order.transaction_id:
            answer |= {
                "transaction_id": order.transaction_id,
                "bank_type": "OTHERS",
                "success_time": order.success_time,
                "amount": {
                    "total": order.total,
                    "payer_total": order.total,
                    "currency": "CNY",
                    "payer_currency": "CNY",
                },  # fmt: skip
            }
        return answer

    def query(self, out_trade_no: str) -> tuple[int, dict]:
        with self._lock:
            order = self.orders.get(out_trade_no)
            if order is None:
                return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
            return 200, self.transaction(order)

    def close_order(self, out_trade_no: str) -> tuple[int, dict | None]:
        with self._lock:
            order = self.orders.get(out_trade_no)
            if order is None:
                return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
            if order.trade_state in ("SUCCESS", "REFUND"):
                return 400, {"code": "ORDERPAID", "message": "该订单已支付"}
            order.trade_state = "CLOSED"
            return 204, None

    def pay(self, out_trade_no: str) -> tuple[int, dict]:
        """The member pays (what happens in the WeChat app); notifies the service."""
        with self._lock:
            order = self.orders.get(out_trade_no)
            if order is None:
                return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
            if order.trade_state == "CLOSED":
                return 409, {"code": "ORDER_CLOSED", "message": "该订单已关闭"}
            if order.trade_state != "NOTPAY":
                return 200, {"status": "already_paid", "transaction_id": order.transaction_id}
            order.trade_state = "SUCCESS"
            order.transaction_id = transaction_id_for(out_trade_no)
            order.success_time = now_iso()
            resource = self.transaction(order)
            url = order.payload["notify_url"]
        self.notify("TRANSACTION.SUCCESS", "transaction", f"pay:{out_trade_no}", resource, url)
        return 200, {"status": "paid", "transaction_id": order.transaction_id}

    def by_prepay_id(self, prepay_id: str) -> SandboxOrder | None:
        with self._lock:
            for order in self.orders.values():
                if order.prepay_id == prepay_id:
                    return order
            return None

    def pay_again(self, out_trade_no: str) -> tuple[int, dict]:
        """The same order paid a second time (another transaction, e.g. a second device): the
        money is taken again and a TRANSACTION.SUCCESS with the new transaction_id is sent."""
        with self._lock:
            order = self.orders.get(out_trade_no)
            if order is None:
                return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
            if order.trade_state not in ("SUCCESS", "REFUND"):
                return 409, {"code": "INVALID_REQUEST", "message": "订单尚未支付"}
            again = transaction_id_for(f"{out_trade_no}:again:{len(order.duplicates) + 1}")
            order.duplicates[again] = 0
            resource = self.transaction(order) | {
                "transaction_id": again,
                "success_time": now_iso(),
            }
            url = order.payload["notify_url"]
        self.notify("TRANSACTION.SUCCESS", "transaction", f"pay:{again}", resource, url)
        return 200, {"status": "paid_again", "transaction_id": again}

    def _refundable(self, body) -> tuple[SandboxOrder | None, str | None]:
        """The order and transaction a refund names (``transaction_id`` or ``out_trade_no``)."""
        tx = body.get("transaction_id")
        if isinstance(tx, str) and tx:
            for order in self.orders.values():
                if order.transaction_id == tx or tx in order.duplicates:
                    return order, tx
            return None, None
        order = self.orders.get(body.get("out_trade_no"))
        return order, order.transaction_id if order else None

    # -- refunds ---------------------------------------------------------------------------

    def refund(self, body) -> tuple[int, dict]:
        if not isinstance(body, dict) or not isinstance(body.get("out_refund_no"), str):
            return 400, {"code": "PARAM_ERROR", "message": "缺少 out_refund_no"}
        amount = body.get("amount") if isinstance(body.get("amount"), dict) else {}
        refund, total = amount.get("refund"), amount.get("total")
        if not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (refund, total)
        ):
            return 400, {
                "code": "PARAM_ERROR",
                "message": "amount.refund 与 amount.total 须为正整数",
            }
        with self._lock:
            known = self.refunds.get(body["out_refund_no"])
            if known is not None:
                return 200, self._refund_view(known)
            order, tx = self._refundable(body)
            if order is None:
                return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"}
            if order.trade_state not in ("SUCCESS", "REFUND"):
                return 400, {"code": "INVALID_REQUEST", "message": "订单未支付，不能退款"}
            if total != order.total:
                return 400, {"code": "PARAM_ERROR", "message": "订单金额与原订单不符"}
            duplicate = tx in order.duplicates
            refunded = order.duplicates[tx] if duplicate else order.refunded
            if refund > order.total - refunded:
                return 400, {"code": "NOT_ENOUGH", "message": "退款金额超过可退金额"}
            if duplicate:
                order.duplicates[tx] += refund
            else:
                order.refunded += refund
                order.trade_state = "REFUND"
            out_trade_no = order.payload["out_trade_no"]
            item = self.refunds[body["out_refund_no"]] = SandboxRefund(
                body, refund_id_for(body["out_refund_no"]), out_trade_no, tx
            )
            answer = self._refund_view(item)
        self._later(self.refund_delay, self._settle_refund, body["out_refund_no"])
        return 200, answer

    def _refund_view(self, item: SandboxRefund) -> dict:
        order = self.orders[item.out_trade_no]
        answer = {
            "refund_id": item.refund_id,
            "out_refund_no": item.payload["out_refund_no"],
            "transaction_id": item.transaction_id,
            "out_trade_no": item.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "status": item.status,
            "create_time": item.create_time,
            "amount": {
                "total": order.total,
                "refund": item.payload["amount"]["refund"],
                "payer_total": order.total,
                "payer_refund": item.payload["amount"]["refund"],
                "currency": "CNY",
            },  # fmt: skip
        }
        if item.success_time:
            answer["success_time"] = item.success_time
        return answer

    def query_refund(self, out_refund_no: str) -> tuple[int, dict]:
        with self._lock:
            item = self.refunds.get(out_refund_no)
            if item is None:
                return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"}
            return 200, self._refund_view(item)

    def _settle_refund(self, out_refund_no: str) -> None:
        with self._lock:
            item = self.refunds[out_refund_no]
            if item.status != "PROCESSING":
                return
            item.status, item.success_time = "SUCCESS", now_iso()
            view = self._refund_view(item)
            url = item.payload.get("notify_url")
        resource = {
            "mchid": self.mch_id,
            "out_trade_no": view["out_trade_no"],
            "transaction_id": view["transaction_id"],
            "out_refund_no": out_refund_no,
            "refund_id": view["refund_id"],
            "refund_status": "SUCCESS",
            "success_time": view["success_time"],
            "user_received_account": view["user_received_account"],
            "amount": {
                k: view["amount"][k] for k in ("total", "refund", "payer_total", "payer_refund")
            },  # fmt: skip
        }
        if url:
            self.notify("REFUND.SUCCESS", "refund", f"refund:{out_refund_no}", resource, url)

    # -- notifications -----------------------------------------------------------------------

    def envelope(self, event_type: str, kind: str, key: str, resource: dict) -> bytes:
        nonce = secrets.token_hex(6)
        plain = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
        body = {
            "id": "EV-" + hashlib.sha256(key.encode()).hexdigest()[:20],
            "create_time": now_iso(),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": {"transaction": "支付成功", "refund": "退款成功"}[kind],
            "resource": {
                "original_type": kind,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": signing.encrypt(self._apiv3_key, plain, kind, nonce),
                "associated_data": kind,
                "nonce": nonce,
            },
        }
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

    def sign(self, body: bytes) -> dict:
        headers = signing.signed_headers(self._platform_key, self.platform_serial, body.decode())
        return headers | {"Content-Type": "application/json"}

    def notify(self, event_type: str, kind: str, key: str, resource: dict, url: str) -> None:
        body = self.envelope(event_type, kind, key, resource)
        sent = SentNotification(kind, url, self.sign(body), body)
        with self._lock:
            self.notifications.append(sent)
        self._later(0, self._deliver, sent)

    def _deliver(self, sent: SentNotification) -> None:
        for attempt in range(self.notify_retries + 1):
            if attempt and self._stopped.wait(self.retry_backoff * 2 ** (attempt - 1)):
                return
            sent.headers = self.sign(sent.body)  # a fresh timestamp per attempt, as WeChat Pay
            status = None
            try:
                with requests.post(sent.url, data=sent.body, headers=sent.headers,
                                   timeout=(3.05, 10)) as answer:  # fmt: skip
                    status = answer.status_code
            except requests.RequestException as exc:
                log.info("wechatpay sandbox: notification to %s failed: %s", sent.url, exc)
            with self._lock:
                sent.statuses.append(status)
            if status is not None and 200 <= status < 300:
                return
        log.warning("wechatpay sandbox: giving up on notification to %s", sent.url)

    def _later(self, delay: float, fn, *args) -> None:
        with self._lock:
            self._active += 1

        def run():
            try:
                if not self._stopped.wait(delay):
                    fn(*args)
            except Exception:
                log.exception("wechatpay sandbox: background step failed")
            finally:
                with self._lock:
                    self._active -= 1
                    self._lock.notify_all()

        threading.Thread(target=run, name="wechatpay-sandbox", daemon=True).start()
