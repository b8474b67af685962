"""集中参保审核 and 即时参保审核 (the district), 提交至职保中心: routes only.

Services: unioncard.insurance.review, district_submit, instant_review; the personal
refunds list: unioncard.payments.district.
"""

from __future__ import annotations

from unioncard.insurance import district_submit, instant_review, review
from unioncard.insurance.batches import batch_dict
from unioncard.openapi import Blueprint
from unioncard.payments import district

from .common import row_page
from .insurance_review_schemas import (
    InsBatchOut,
    InsEnrolmentOut,
    InsIdsIn,
    InsReasonIn,
    InsRefuseIn,
    InsReviewQuery,
    InsSubmissionOut,
    InsSubmitIn,
    InsTotalsOut,
    InsTotalsQuery,
    present_enrolment,
)
from .refund_schemas import RefundOut, RefundQuery
from .security import current_scope, ip, requires

blp = Blueprint(
    "admin_insurance_review",
    __name__,
    url_prefix="/api/admin/v1/insurance/review",
    description="集中参保审核、即时参保审核（区局）",
)


@blp.get("/pending")
@blp.arguments(InsReviewQuery, location="query")
@blp.response(200, InsSubmissionOut(many=True))
@blp.paginate(row_page(review.present))
@requires("insurance.review")
def pending(query):
    """待审批参保列表（集中参保：会员卡参保、社保卡参保）"""
    return review.pending(current_scope(), query)


@blp.get("/accepted")
@blp.arguments(InsReviewQuery, location="query")
@blp.response(200, InsSubmissionOut(many=True))
@blp.paginate(row_page(review.present))
@requires("insurance.review")
def accepted(query):
    """待提交参保列表"""
    return review.accepted(current_scope(), query)


@blp.get("/accepted/totals")
@blp.arguments(InsTotalsQuery, location="query")
@blp.response(200, InsTotalsOut)
@requires("insurance.review")
def accepted_totals(query):
    """待提交参保列表合计：参保人数（会员卡/社保卡）、保障费用及分担"""
    return review.accepted_totals(current_scope(), query.get("year"))


@blp.post("/accept")
@blp.arguments(InsIdsIn)
@blp.response(200, InsSubmissionOut(many=True))
@requires("insurance.review")
def accept(data):
    """添加至待提交（可多选）"""
    rows = review.accept(current_scope(), data["submission_ids"], ip=ip())
    return [_row(s) for s in rows]


@blp.post("/remove")
@blp.arguments(InsIdsIn)
@blp.response(200, InsSubmissionOut(many=True))
@requires("insurance.review")
def remove(data):
    """从待提交参保列表移除，回到待审批"""
    rows = review.remove(current_scope(), data["submission_ids"], ip=ip())
    return [_row(s) for s in rows]


@blp.get("/submissions/<int:submission_id>")
@blp.response(200, InsSubmissionOut)
@requires("insurance.read")
def get_submission(submission_id):
    """参保提交详情（单位可查看退回原因）"""
    return _row(review.get_submission(current_scope(), submission_id))


@blp.get("/submissions/<int:submission_id>/enrolments")
@blp.response(200, InsEnrolmentOut(many=True))
@blp.paginate(row_page(present_enrolment))
@requires("insurance.read")
def submission_enrolments(submission_id):
    """参保提交中的人员（证件号码脱敏）"""
    return review.submission_enrolments(current_scope(), submission_id)


@blp.post("/submissions/<int:submission_id>/return")
@blp.arguments(InsReasonIn)
@blp.response(200, InsSubmissionOut)
@requires("insurance.review")
def return_submission(data, submission_id):
    """退回至基层单位（须填写原因，单位在消息提醒中看到，可修改后重新提交）"""
    sub = review.return_submission(current_scope(), submission_id, data["reason"], ip=ip())
    return _row(sub)


@blp.post("/submit")
@blp.arguments(InsSubmitIn)
@blp.response(201, InsBatchOut)
@requires("insurance.review")
def submit(data):
    """提交列表中的参保信息至职保中心（仅在区局提交时间段内；提交后不可修改）"""
    return batch_dict(district_submit.submit_to_centre(current_scope(), data, ip=ip()))


@blp.get("/instant")
@blp.arguments(InsReviewQuery, location="query")
@blp.response(200, InsSubmissionOut(many=True))
@blp.paginate(row_page(review.present))
@requires("insurance.review")
def instant_pending(query):
    """待审核的即时参保（有卡无保、新办卡、个人参保）"""
    return instant_review.pending(current_scope(), query)


@blp.post("/instant/approve")
@blp.arguments(InsIdsIn)
@blp.response(200, InsBatchOut(many=True))
@requires("insurance.review")
def instant_approve(data):
    """即时参保审核通过：生成即时参保批次（单位提交的待缴费；个人参保直接完成）"""
    batches = instant_review.approve(current_scope(), data["submission_ids"], ip=ip())
    return [batch_dict(b) for b in batches]


@blp.post("/instant/refuse")
@blp.arguments(InsRefuseIn)
@blp.response(200, InsSubmissionOut(many=True))
@requires("insurance.review")
def instant_refuse(data):
    """即时参保审核不通过（须填写原因）"""
    rows = instant_review.refuse(current_scope(), data["submission_ids"], data["reason"], ip=ip())
    return [_row(s) for s in rows]


@blp.get("/instant/refunds")
@blp.arguments(RefundQuery, location="query")
@blp.response(200, RefundOut(many=True))
@blp.paginate(row_page(district.present_refund))
@requires("insurance.review")
def instant_refunds(query):
    """个人缴费退款（审核不通过、订单关闭后到账、重复支付自动退款）"""
    return district.refund_rows(current_scope(), query)


def _row(sub) -> dict:
    return review.present_one(sub)
