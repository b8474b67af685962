"""Hooks of the member's own insurance (个人参保) into the district's review.

``on_refused`` is called when members' own paid enrolments are refused: by the district
(``instant_review.refuse``) or because nobody reviewed them within their coverage year
(``deadline``); after the enrolments were flushed as 已拒绝, inside the same transaction (so
a failure here rolls the refusal back). It records the WeChat Pay refund request and queues
its task with ``tasks_runtime.after_commit`` (never calling WeChat before the commit).
"""

from __future__ import annotations


def on_refused(enrolment_ids: list[int]) -> None:
    """The district refused these 个人参保 enrolments (ids, status 已拒绝): each paid order
    becomes 退款中 with a refund request, sent to WeChat Pay after the commit."""
    from ..payments import refunds

    refunds.refund_refused(enrolment_ids)
