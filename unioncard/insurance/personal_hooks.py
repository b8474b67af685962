"""Hooks of the member's own insurance (个人参保) into the district's review.

``on_refused`` is called by ``instant_review.refuse`` when the district refuses members'
own paid enrolments: after the enrolments were flushed as 已拒绝, inside the same
transaction (so a failure here rolls the refusal back). The mini-program payment's refund
(WeChat Pay 退款) hooks in here: helper D fills it in, recording the refund request and
queueing its task with ``tasks_runtime.after_commit`` (never calling WeChat before the
commit).
"""

from __future__ import annotations


def on_refused(enrolment_ids: list[int]) -> None:
    """The district refused these 个人参保 enrolments (ids, status 已拒绝): each paid order
    becomes 退款中 with a refund request, sent to WeChat Pay after the commit."""
    from ..payments import refunds

    refunds.refund_refused(enrolment_ids)
