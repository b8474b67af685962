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
    member_no = fields.String(allow_none=True)
    name = fields.String()
    id_type = fields.String()
    id_number = Masked("id_number")
    id_expiry = fields.Date(allow_none=True)
    gender = fields.String()
    work_address = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "办理状态"})
    channel = fields.String(allow_none=True, metadata={"description": "申请通道 普通/特殊"})
    channel_reason = fields.String(allow_none=True)
    verification = fields.String(allow_none=True, metadata={"description": "信息校验结果"})
    verification_reasons = fields.List(fields.String())
    info_complete = fields.Boolean(allow_none=True, metadata={"description": "信息完善状态"})
    pending_since = fields.DateTime(allow_none=True, metadata={"description": "加入待办时间"})
    applied_at = fields.DateTime(allow_none=True, metadata={"description": "申办时间"})
    card_no = Masked("card_no", metadata={"description": "银行卡号（脱敏）"})
    failure_reason = fields.String(allow_none=True)
    batch_id = fields.Integer(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    cannot_add = fields.String(
        allow_none=True,
        metadata={"description": "不能添加至待办的原因（可添加时为空）：控制台据此禁用勾选框"},
    )


class CardQuery(Base):
    org_id = Id()
    name = fields.String()
    id_number = fields.String()
    address = fields.String()
    gender = fields.String(validate=validate.OneOf(["男", "女"]))
    card_status = fields.String(validate=validate.OneOf(_values(CardStatus)))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    applied_from = fields.DateTime()
    applied_to = fields.DateTime()


class AddIn(Base):
    member_ids = fields.List(Id(), metadata={"description": "勾选的会员；不传则添加全部可办卡会员"})
    org_id = Id(metadata={"description": "添加全部时的基层工会，默认本单位"})


class Refused(Base):
    member_id = fields.Integer()
    name = fields.String(allow_none=True)
    reason = fields.String()


class AddOut(Base):
    added = fields.Integer()
    refused = fields.List(fields.Nested(Refused))


class PendingQuery(Base):
    org_id = Id()
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    verification = fields.String(validate=validate.OneOf(_values(Verification)))
    info_complete = fields.Boolean()
    name = fields.String()
    id_number = fields.String()


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
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))


class RemoveUnreadyIn(OrgIn):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))


class InfoIn(Base):
    id_type = fields.String(required=True, validate=validate.OneOf(ID_TYPES))
    id_expiry = fields.Date(required=True)
    country = fields.String(required=True, validate=validate.Length(1, 50))


class Count(Base):
    count = fields.Integer()
    message = fields.String()


class SubmitIn(OrgIn):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    branch_code = fields.String(required=True, validate=validate.Length(1, 20))


class BatchOut(Base):
    id = fields.Integer()
    batch_no = fields.String(metadata={"description": "批次编号"})
    org_id = fields.Integer()
    channel = fields.String()
    status = fields.String()
    branch_code = fields.String()
    branch_name = fields.String()
    branch_address = fields.String(metadata={"description": "网点地址"})
    total = fields.Integer(metadata={"description": "办理总人数"})
    success_count = fields.Integer(metadata={"description": "办理成功人数"})
    failure_count = fields.Integer()
    submitted_at = fields.DateTime()
    submitted_by_name = fields.String(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    feedback_at = fields.DateTime(allow_none=True, metadata={"description": "银行反馈时间"})
    revocation = fields.String(allow_none=True, metadata={"description": "批次撤销情况"})


class BatchQuery(OrgIn):
    batch_no = fields.String()
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    status = fields.String(validate=validate.OneOf(_values(BatchStatus)))
    submitted_from = fields.Date()
    submitted_to = fields.Date()


def present_batch_member(row) -> dict:
    member, link = row
    return {
        "member_id": member.id,
        "member_no": link.member_no,
        "name": member.name,
        "id_type": member.id_type,
        "id_number": member.id_number,
        "result": link.result,
        "reason_code": link.reason_code,
        "reason": link.reason,
        "answered_at": link.answered_at,
    }


class BatchMemberOut(Base):
    member_id = fields.Integer()
    member_no = fields.String()
    name = fields.String()
    id_type = fields.String()
    id_number = Masked("id_number")
    result = fields.String(allow_none=True)
    reason_code = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)


class RevocationIn(Base):
    applicant_name = fields.String(required=True, validate=validate.Length(1, 50))
    applicant_phone = fields.String(required=True, validate=validate.Length(1, 20))


class RevocationOut(Base):
    id = fields.Integer()
    batch_id = fields.Integer()
    org_id = fields.Integer()
    status = fields.String()
    applicant_name = fields.String()
    applicant_phone = Masked("mobile")
    reviewer_name = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()


class RevocationQuery(Base):
    status = fields.String(validate=validate.OneOf(_values(RevocationStatus)))


class RejectIn(Base):
    reason = fields.String(required=True, validate=validate.Length(1, 200))


class LogOut(Base):
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)
    batch_id = fields.Integer(allow_none=True)
