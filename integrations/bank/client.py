"""The partner bank's card API, outbound (contracts.md, "Bank, outbound").

``BankClient`` submits card batches and revokes them, signing every request with our id
and secret (``integrations.signing``). Inside the client only connection failures are
retried (the request never left); a read timeout on a POST is not, because the bank may
have received it. The caller (a Celery task) retries with back-off and the same
``batch_no``: the bank treats a known ``batch_no`` as already received.
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlsplit

import requests
from urllib3.util.retry import Retry

from integrations.signing import signed_headers

from ..http import IntegrationError, RejectedMixin, retrying_session

__all__ = [
    "BankBadResponse",
    "BankClient",
    "BankError",
    "BankRejected",
    "BankRevocationRefused",
    "BankUnavailable",
]

REVOCATION_STATUSES = frozenset({"revoked", "already_revoked"})


class BankError(IntegrationError):
    """Base of every failure talking to the bank; ``message`` is for a person."""

    default_message = "银行接口调用失败"


class BankUnavailable(BankError):
    """Unreachable, timed out, 5xx or 429: try again later with the same batch_no."""

    default_message = "银行系统暂时无法访问，请稍后重试"


class BankRejected(RejectedMixin, BankError):
    """A 4xx other than the documented ones: our request is wrong; retrying will not help."""

    party = "银行"


class BankRevocationRefused(BankError):
    """409 on revoke: the bank has already given feedback for the batch."""

    default_message = "该批次银行已反馈，不能撤销"


class BankBadResponse(BankError):
    """An answer that is not what the contract says."""

    default_message = "银行返回的数据不符合接口约定"


def _dumps(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class BankClient:
    """One partner bank, configured in the constructor; reuse one instance per process."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        secret: str,
        *,
        timeout: tuple[float, float] = (3.05, 10),
        retries: int = 2,
        session: requests.Session | None = None,
    ):
        if not (base_url and client_id and secret):
            raise ValueError("base_url, client_id and secret are required")
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._secret = secret
        self.timeout = timeout
        if session is None:
            # only connection errors are retried here: a POST that reached the bank is not
            # re-sent blindly; the outbox task retries with the same batch_no
            session = retrying_session(
                Retry(
                    total=retries,
                    connect=retries,
                    read=False,
                    status=False,
                    other=False,
                    redirect=False,
                    backoff_factor=0.2,
                    raise_on_status=False,
                )
            )
        self.session = session

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> BankClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def submit_batch(self, payload: dict) -> None:
        """Send a batch; returns once the bank has it (202, or 200 for a known batch_no)."""
        batch_no = payload.get("batch_no") if isinstance(payload, dict) else None
        if not isinstance(batch_no, str) or not batch_no:
            raise ValueError("payload needs a batch_no")
        response = self._post("/batches", payload)
        if response.status_code not in (200, 202):
            raise self._failure(response)
        answer = self._json(response, required=False)
        if isinstance(answer, dict) and answer.get("batch_no") not in (None, batch_no):
            raise BankBadResponse(f"银行确认的批次号与提交的不一致：{answer.get('batch_no')}")

    def revoke_batch(self, batch_no: str) -> dict:
        """Withdraw a batch without feedback: ``{"batch_no", "status"}``, status
        ``revoked`` or ``already_revoked``; ``BankRevocationRefused`` after feedback."""
        if not isinstance(batch_no, str) or not batch_no:
            raise ValueError("batch_no is required")
        response = self._post(f"/batches/{quote(batch_no, safe='')}/revoke", {})
        if response.status_code == 409:
            raise BankRevocationRefused(self._message(response))
        if response.status_code != 200:
            raise self._failure(response)
        answer = self._json(response, required=True)
        if (
            not isinstance(answer, dict)
            or answer.get("batch_no") != batch_no
            or answer.get("status") not in REVOCATION_STATUSES
        ):
            raise BankBadResponse(f"银行的撤销答复不符合约定：{response.text[:200]}")
        return answer

    # -- plumbing ---------------------------------------------------------------------

    def _post(self, path: str, payload: dict) -> requests.Response:
        url = self.base_url + path
        body = _dumps(payload)
        headers = signed_headers(self.client_id, self._secret, "POST", urlsplit(url).path, body)
        try:
            return self.session.post(
                url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False
            )
        except requests.RequestException as exc:
            raise BankUnavailable(f"银行系统暂时无法访问：{type(exc).__name__}") from exc

    @staticmethod
    def _failure(response: requests.Response) -> BankError:
        status = response.status_code
        if status == 429 or status >= 500:
            return BankUnavailable(f"银行系统暂时无法处理（HTTP {status}），请稍后重试")
        if 400 <= status < 500:
            return BankRejected(status, response.text[:2000])
        return BankBadResponse(f"银行返回了约定之外的状态码 HTTP {status}")

    @staticmethod
    def _json(response: requests.Response, *, required: bool):
        if not response.content and not required:
            return None
        try:
            return response.json()
        except ValueError as exc:
            if not required:
                return None
            raise BankBadResponse("银行返回的不是 JSON") from exc

    @staticmethod
    def _message(response: requests.Response) -> str | None:
        try:
            answer = response.json()
        except ValueError:
            return None
        message = answer.get("message") if isinstance(answer, dict) else None
        return message if isinstance(message, str) and message else None
