"""Schemas of the card admin routes (会员服务卡办理)."""

from __future__ import annotations

from marshmallow import fields, validate

from unioncard.cards.models import (
    BatchStatus,
    CardStatus,
    Channel,
    RevocationStatus,
    Verification,
)
from unioncard.cards.pending import refusal
from unioncard.members.idcard import ID_TYPES
from unioncard.webfields import Text, Timestamp

from .common import Base, Id, Masked, row_page

CHANNELS = [c.value for c in Channel]


def _values(enum_cls):
    return [m.value for m in enum_cls]


def present(row) -> dict:
    member, card = row
    return {
        "member_id": member.id,
        "org_id": member.org_id,
        "member_no": member.member_no,
        "name": member.name,
        "id_type": member.id_type,
        "id_number": member.id_number,
        "id_expiry": member.id_expiry,
        "gender": member.gender,
        "work_address": member.work_address,
        "status": card.status.value if card else CardStatus.NONE.value,
        "channel": card.channel.value if card else None,
        "channel_reason": card.channel_reason if card else None,
        "verification": card.verification.value if card else None,
        "verification_reasons": card.verification_reasons if card else [],
        "info_complete": card.info_complete if card else None,
        "pending_since": card.pending_since if card else None,
        "applied_at": card.applied_at if card else None,
        "card_no": card.card_no if card else None,
        "failure_reason": card.failure_reason if card else None,
        "batch_id": card.batch_id if card else None,
        "delivered_at": card.delivered_at if card else None,
        "cannot_add": refusal(member, card),
    }


CardPage = row_page(present)


class CardRowOut(Base):
    member_id = fields.Integer()
    org_id = fields.Integer()
    member_no = Text(allow_none=True)
    name = Text()
    id_type = Text()
    id_number = Masked("id_number")
    id_expiry = fields.Date(allow_none=True)
    gender = Text()
    work_address = Text(allow_none=True)
    status = Text(metadata={"description": "办理状态"})
    channel = Text(allow_none=True, metadata={"description": "申请通道 普通/特殊"})
    channel_reason = Text(allow_none=True)
    verification = Text(allow_none=True, metadata={"description": "信息校验结果"})
    verification_reasons = fields.List(Text())
    info_complete = fields.Boolean(allow_none=True, metadata={"description": "信息完善状态"})
    pending_since = Timestamp(allow_none=True, metadata={"description": "加入待办时间"})
    applied_at = Timestamp(allow_none=True, metadata={"description": "申办时间"})
    card_no = Masked("card_no", metadata={"description": "银行卡号（脱敏）"})
    failure_reason = Text(allow_none=True)
    batch_id = fields.Integer(allow_none=True)
    delivered_at = Timestamp(allow_none=True)
    cannot_add = Text(
        allow_none=True,
        metadata={"description": "不能添加至待办的原因（可添加时为空）：控制台据此禁用勾选框"},
    )


class CardQuery(Base):
    org_id = Id()
    name = Text()
    id_number = Text()
    address = Text()
    gender = Text(validate=validate.OneOf(["男", "女"]))
    card_status = Text(validate=validate.OneOf(_values(CardStatus)))
    channel = Text(validate=validate.OneOf(CHANNELS))
    applied_from = Timestamp()
    applied_to = Timestamp()


class AddIn(Base):
    member_ids = fields.List(Id(), metadata={"description": "勾选的会员；不传则添加全部可办卡会员"})
    org_id = Id(metadata={"description": "添加全部时的基层工会，默认本单位"})


class Refused(Base):
    member_id = fields.Integer()
    name = Text(allow_none=True)
    reason = Text()


class AddOut(Base):
    added = fields.Integer()
    refused = fields.List(fields.Nested(Refused))


class PendingQuery(Base):
    org_id = Id()
    channel = Text(validate=validate.OneOf(CHANNELS))
    verification = Text(validate=validate.OneOf(_values(Verification)))
    info_complete = fields.Boolean()
    name = Text()
    id_number = Text()


class OrgIn(Base):
    org_id = Id()


class ChannelCounts(Base):
    total = fields.Integer()
    passed = fields.Integer()
    failed = fields.Integer()
    unchecked = fields.Integer()
    checking = fields.Integer()


class SpecialCounts(Base):
    total = fields.Integer()
    complete = fields.Integer()
    incomplete = fields.Integer()


class SummaryOut(Base):
    org_id = fields.Integer()
    normal = fields.Nested(ChannelCounts)
    special = fields.Nested(SpecialCounts)


class ExpiryIn(Base):
    id_expiry = fields.Date(required=True)


class ChannelIn(Base):
    channel = Text(required=True, validate=validate.OneOf(CHANNELS))


class RemoveUnreadyIn(OrgIn):
    channel = Text(required=True, validate=validate.OneOf(CHANNELS))


class InfoIn(Base):
    id_type = Text(required=True, validate=validate.OneOf(ID_TYPES))
    id_expiry = fields.Date(required=True)
    country = Text(required=True, validate=validate.Length(1, 50))


class Count(Base):
    count = fields.Integer()
    message = Text()


class SubmitIn(OrgIn):
    channel = Text(required=True, validate=validate.OneOf(CHANNELS))
    branch_code = Text(required=True, validate=validate.Length(1, 20))


class BatchOut(Base):
    id = fields.Integer()
    batch_no = Text(metadata={"description": "批次编号"})
    org_id = fields.Integer()
    channel = Text()
    status = Text()
    branch_code = Text()
    branch_name = Text()
    branch_address = Text(metadata={"description": "网点地址"})
    total = fields.Integer(metadata={"description": "办理总人数"})
    success_count = fields.Integer(metadata={"description": "办理成功人数"})
    failure_count = fields.Integer()
    submitted_at = Timestamp()
    submitted_by_name = Text(allow_none=True)
    sent_at = Timestamp(allow_none=True)
    feedback_at = Timestamp(allow_none=True, metadata={"description": "银行反馈时间"})
    revocation = Text(allow_none=True, metadata={"description": "批次撤销情况"})


class BatchQuery(OrgIn):
    batch_no = Text()
    channel = Text(validate=validate.OneOf(CHANNELS))
    status = Text(validate=validate.OneOf(_values(BatchStatus)))
    submitted_from = fields.Date()
    submitted_to = fields.Date()


RESULT_TEXT = {"success": "办理成功", "failure": "办理失败"}


def present_batch_member(row) -> dict:
    member, link = row
    return {
        "member_id": member.id,
        "member_no": link.member_no,
        "name": member.name,
        "id_type": member.id_type,
        "id_number": member.id_number,
        "result": link.result,
        "result_text": RESULT_TEXT.get(link.result, "银行未反馈"),
        "reason_code": link.reason_code,
        "reason": link.reason,
        "answered_at": link.answered_at,
    }


class BatchMemberOut(Base):
    member_id = fields.Integer()
    member_no = Text(allow_none=True)
    name = Text()
    id_type = Text()
    id_number = Masked("id_number")
    result = Text(allow_none=True, metadata={"description": "银行结果 success/failure"})
    result_text = Text(metadata={"description": "办理结果：办理成功 / 办理失败 / 银行未反馈"})
    reason_code = Text(allow_none=True)
    reason = Text(allow_none=True)
    answered_at = Timestamp(allow_none=True)


class RevocationIn(Base):
    applicant_name = Text(required=True, validate=validate.Length(1, 50))
    applicant_phone = Text(required=True, validate=validate.Length(1, 20))


class RevocationOut(Base):
    id = fields.Integer()
    batch_id = fields.Integer()
    batch_no = Text(attribute="batch.batch_no", metadata={"description": "批次编号"})
    batch_total = fields.Integer(attribute="batch.total", metadata={"description": "办理总人数"})
    batch_channel = Text(attribute="batch.channel", metadata={"description": "办理通道"})
    batch_submitted_at = Timestamp(
        attribute="batch.submitted_at", metadata={"description": "提交时间"}
    )
    branch_name = Text(attribute="batch.branch_name", metadata={"description": "领卡网点"})
    org_id = fields.Integer()
    org_name = Text(attribute="org.name", metadata={"description": "申请单位"})
    status = Text()
    applicant_name = Text()
    applicant_phone = Masked("mobile")
    reviewer_name = Text(allow_none=True)
    decided_at = Timestamp(allow_none=True)
    decision_reason = Text(allow_none=True)
    created_at = Timestamp()


class RevocationQuery(Base):
    status = Text(validate=validate.OneOf(_values(RevocationStatus)))
    batch_id = Id(metadata={"description": "只看该批次的撤销申请"})


class RejectIn(Base):
    reason = Text(required=True, validate=validate.Length(1, 200))


class LogOut(Base):
    at = Timestamp()
    actor = Text()
    action = Text()
    from_status = Text(allow_none=True)
    to_status = Text(allow_none=True)
    detail = Text(allow_none=True)
    batch_id = fields.Integer(allow_none=True)
