"""WeChat as the member's services see it: the configured client, and its failures turned
into the platform's errors (a Chinese message, a status the mini-program can act on)."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from integrations.wechat.client import (
    WeChatClient,
    WeChatError,
    WeChatInvalidCode,
    WeChatUnavailable,
)

from ..errors import DomainError, ValidationFailed

log = logging.getLogger(__name__)


class WeChatDown(DomainError):
    """503: WeChat could not be reached (or is misconfigured); the member may retry later."""

    status = 503
    default_message = "微信服务暂时无法访问，请稍后重试"


def client() -> WeChatClient:
    return WeChatClient.from_app()


def web_oauth():
    """The service hall's official-account web authorization (公众号网页授权)."""
    from integrations.wechat.oauth import WeChatWebOAuth

    return WeChatWebOAuth.from_app()


@contextmanager
def calling(field: str, invalid: str | None = None):
    """Map the client's errors: a bad code is the member's (422 on ``field``, with the
    message ``invalid`` if given), the rest 503."""
    try:
        yield
    except WeChatInvalidCode as exc:
        message = invalid or exc.message
        raise ValidationFailed(message, {field: [message]}) from exc
    except WeChatUnavailable as exc:
        raise WeChatDown() from exc
    except WeChatError as exc:
        log.error("WeChat call failed: %s", exc.message)
        raise WeChatDown("微信服务调用失败，请稍后重试；如持续出现请联系工会") from exc
