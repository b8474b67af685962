"""The two government registers, outbound (contracts.md, "Verification services").

- ``PopulationRegisterClient.verify``: does the name match the ID number, is the person alive.
- ``SocialSecurityRegisterClient.status``: retirement, insurance, card and employment status.

Both are pure look-ups, so the session retries connection errors, read errors and
502/503/504 (POST included). Items go in chunks of ``chunk_size``; every answer item is
checked (each ref sent answered exactly once, the documented types and values) and the
answers come back in the order of the items given.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import requests
from urllib3.util.retry import Retry

from ..http import IntegrationError, RejectedMixin, retrying_session

__all__ = [
    "PopulationRegisterClient",
    "RegisterBadResponse",
    "RegisterError",
    "RegisterRejected",
    "RegisterUnavailable",
    "SocialSecurityRegisterClient",
]

INSURANCE_STATUSES = ("正常", "待确认")
CARD_STATUSES = ("正常", "封存", None)
EMPLOYMENT_STATUSES = ("在职", "不在职", None)


class RegisterError(IntegrationError):
    """Base of every failure talking to a register; ``message`` is for a person."""

    default_message = "核验服务调用失败"


class RegisterUnavailable(RegisterError):
    """Unreachable, timed out or 5xx/429 after the retries: try again later."""

    default_message = "核验服务暂时无法访问，请稍后重试"


class RegisterRejected(RejectedMixin, RegisterError):
    """A 4xx: the register refused our request (a bug on our side or a configuration error)."""

    party = "核验服务"


class RegisterBadResponse(RegisterError):
    """An answer that is not what the contract says (missing or unknown ref, wrong type)."""

    default_message = "核验服务返回的数据不符合接口约定"


def _is_ref(value) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


class _RegisterClient:
    endpoint = ""
    fields: tuple[str, ...] = ()
    name = ""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: tuple[float, float] = (3.05, 15),
        retries: int = 2,
        chunk_size: int = 500,
        backoff_factor: float = 0.3,
        session: requests.Session | None = None,
    ):
        if not base_url:
            raise ValueError("base_url is required")
        if not 1 <= chunk_size <= 1000:
            raise ValueError("chunk_size must be 1-1000")
        self.url = base_url.rstrip("/") + self.endpoint
        self.timeout = timeout
        self.chunk_size = chunk_size
        if session is None:
            # look-ups are idempotent: read errors and 502/503/504 are retried too
            session = retrying_session(
                Retry(
                    total=retries,
                    connect=retries,
                    read=retries,
                    status=retries,
                    other=0,
                    redirect=False,
                    status_forcelist=(502, 503, 504),
                    allowed_methods=frozenset({"POST"}),
                    backoff_factor=backoff_factor,
                    raise_on_status=False,
                )
            )
        self.session = session

    def close(self) -> None:
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _look_up(self, items: list[dict], check: Callable[[dict], dict]) -> list[dict]:
        refs = [item.get("ref") for item in items]
        if not all(_is_ref(ref) for ref in refs) or len(set(refs)) != len(refs):
            raise ValueError("every item needs a unique ref (str or int)")
        if not all(isinstance(item.get(k), str) for item in items for k in self.fields[1:]):
            raise ValueError(f"every item needs {', '.join(self.fields[1:])} as text")
        answers: list[dict] = []
        for start in range(0, len(items), self.chunk_size):
            chunk = [
                {k: item[k] for k in self.fields} for item in items[start : start + self.chunk_size]
            ]
            answers.extend(self._call(chunk, check))
        return answers

    def _call(self, chunk: list[dict], check: Callable[[dict], dict]) -> list[dict]:
        body = json.dumps({"items": chunk}, ensure_ascii=False, separators=(",", ":"))
        try:
            response = self.session.post(
                self.url,
                data=body.encode("utf-8"),
                headers={"Content-Type": "application/json"},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise RegisterUnavailable(f"{self.name}暂时无法访问：{type(exc).__name__}") from exc
        status = response.status_code
        if status == 429 or status >= 500:
            raise RegisterUnavailable(f"{self.name}暂时无法处理（HTTP {status}），请稍后重试")
        if 400 <= status < 500:
            raise RegisterRejected(status, response.text[:2000])
        if status != 200:
            raise RegisterBadResponse(f"{self.name}返回了约定之外的状态码 HTTP {status}")
        try:
            answer = response.json()
        except ValueError as exc:
            raise RegisterBadResponse(f"{self.name}返回的不是 JSON") from exc
        got = answer.get("items") if isinstance(answer, dict) else None
        if not isinstance(got, list):
            raise RegisterBadResponse(f"{self.name}的答复缺少 items 列表")
        by_ref: dict = {}
        for item in got:
            ref = item.get("ref") if isinstance(item, dict) else None
            if not _is_ref(ref) or ref in by_ref:
                raise RegisterBadResponse(f"{self.name}的答复中有无效或重复的 ref：{ref!r}")
            by_ref[ref] = item
        sent = [item["ref"] for item in chunk]
        if set(by_ref) != set(sent):
            missing = [r for r in sent if r not in by_ref]
            unknown = [r for r in by_ref if r not in set(sent)]
            raise RegisterBadResponse(
                f"{self.name}的答复与请求不对应：缺少 {missing[:5]!r}，多出 {unknown[:5]!r}"
            )
        return [check(by_ref[ref]) for ref in sent]

    def _bad(self, item: dict, field: str) -> RegisterBadResponse:
        value = item.get(field, "<缺少>")
        return RegisterBadResponse(
            f"{self.name}的答复 ref={item['ref']!r} 字段 {field} 无效：{value!r}"
        )


class PopulationRegisterClient(_RegisterClient):
    """人口库核验: ``verify([{ref, name, id_number}])`` → ``[{ref, match, deceased}]``."""

    endpoint = "/verify"
    fields = ("ref", "name", "id_number")
    name = "人口库核验服务"

    def verify(self, items: list[dict]) -> list[dict]:
        return self._look_up(items, self._check)

    def _check(self, item: dict) -> dict:
        for field in ("match", "deceased"):
            if not isinstance(item.get(field), bool):
                raise self._bad(item, field)
        return {"ref": item["ref"], "match": item["match"], "deceased": item["deceased"]}


class SocialSecurityRegisterClient(_RegisterClient):
    """社保核验: ``status([{ref, id_number}])`` → ``[{ref, retired, retired_on,
    insurance_status, card_status, employment}]`` (``retired_on`` an ISO date or None)."""

    endpoint = "/status"
    fields = ("ref", "id_number")
    name = "社保核验服务"

    def status(self, items: list[dict]) -> list[dict]:
        return self._look_up(items, self._check)

    def _check(self, item: dict) -> dict:
        if not isinstance(item.get("retired"), bool):
            raise self._bad(item, "retired")
        retired_on = item.get("retired_on")
        if retired_on is not None:
            try:
                date.fromisoformat(retired_on)
            except (TypeError, ValueError):
                raise self._bad(item, "retired_on") from None
        allowed = (
            ("insurance_status", INSURANCE_STATUSES),
            ("card_status", CARD_STATUSES),
            ("employment", EMPLOYMENT_STATUSES),
        )
        for field, values in allowed:
            if field not in item or item[field] not in values:
                raise self._bad(item, field)
        return {
            "ref": item["ref"],
            "retired": item["retired"],
            "retired_on": retired_on,
            "insurance_status": item["insurance_status"],
            "card_status": item["card_status"],
            "employment": item["employment"],
        }
