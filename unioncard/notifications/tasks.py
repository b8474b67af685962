"""Celery tasks of subscribe messages: send after commit, and the beat's re-send."""

from __future__ import annotations

from ..extensions import db
from ..kvstore import exclusive
from ..tasks_runtime import celery
from . import sending

RETRIES = 5


def _wechat():
    from integrations.wechat.client import WeChatClient

    return WeChatClient.from_app()


@celery.task(name="notifications.send_due", bind=True, max_retries=RETRIES)
def send_due(self) -> dict:
    """Send the due messages (queued after the commit that wrote them); when some could not
    be sent, retry with back-off (the beat picks up whatever is left)."""
    try:
        wechat = _wechat()
        try:
            counts = sending.send_due(wechat)
        finally:
            wechat.close()
    finally:
        db.session.remove()
    eager = self.request.called_directly or self.request.is_eager
    pending = counts.get(sending.MessageStatus.PENDING.value)
    if pending and not eager and self.request.retries < RETRIES:
        raise self.retry(countdown=sending.backoff(self.request.retries + 1).seconds)
    return counts


@celery.task(name="notifications.resend_stale")
def resend_stale() -> dict:
    """Beat: send whatever is still pending and due (a lost dispatch, an outage, a crash)."""
    with exclusive("notifications.resend_stale", ttl=55) as acquired:
        if not acquired:
            return {}
        try:
            wechat = _wechat()
            try:
                return sending.send_due(wechat)
            finally:
                wechat.close()
        finally:
            db.session.remove()
