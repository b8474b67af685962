"""What every outside-party client shares: the error base and a retrying HTTP session."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


class IntegrationError(Exception):
    """Base of every failure talking to an outside party; ``message`` is for a person."""

    default_message = "外部接口调用失败"

    def __init__(self, message: str | None = None):
        self.message = message or self.default_message
        super().__init__(self.message)


class RejectedMixin:
    """A 4xx the contract does not name: our request is wrong; retrying will not help."""

    party = "外部系统"

    def __init__(self, status: int, body: str):
        self.status = status
        self.body = body
        super().__init__(f"{self.party}拒绝了请求（HTTP {status}）：{body[:200]}")


def retrying_session(retry: Retry) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
