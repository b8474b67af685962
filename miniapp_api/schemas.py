"""Schemas of the mini-program API (part 1: login, binding, joining, branches, the card)."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from unioncard.members.idcard import ID_TYPES
from unioncard.selfservice.models import JoinSource, JoinStatus
from unioncard.webfields import BaseSchema, Masked, Text, Timestamp


def _id(**kwargs):
    return fields.Integer(validate=validate.Range(1, 2**31 - 1), **kwargs)


class Base(BaseSchema):
    """Base of the mini-program schemas."""


# --- login ---------------------------------------------------------------------------------
class MiniLoginIn(Base):
    code = Text(
        required=True,
        validate=validate.Length(1, 200),
        metadata={"description": "wx.login 的 code"},
    )


class MiniLoginOut(Base):
    token = Text()
    expires_in = fields.Integer(metadata={"description": "有效秒数"})
    bound = fields.Boolean(metadata={"description": "已完成实名认证并绑定手机号"})
    identity_bound = fields.Boolean()
    phone_bound = fields.Boolean()
    is_member = fields.Boolean(metadata={"description": "已关联会员档案"})


class MiniDone(Base):
    message = Text()


# --- me ----------------------------------------------------------------------------------
class MiniPhoneIn(Base):
    """小程序: ``{phone_code}``; 服务大厅 (H5): ``{mobile, sms_code}``."""

    phone_code = Text(
        validate=validate.Length(1, 200),
        metadata={"description": "getPhoneNumber 的 code（小程序）"},
    )
    mobile = Text(validate=validate.Length(1, 20), metadata={"description": "手机号（服务大厅）"})
    sms_code = Text(
        validate=validate.Length(1, 10), metadata={"description": "短信验证码（服务大厅）"}
    )

    @validates_schema
    def _one_way(self, data, **kwargs):
        if data.get("phone_code"):
            return
        if not data.get("mobile"):
            raise ValidationError("请填写手机号", "mobile")
        if not data.get("sms_code"):
            raise ValidationError("请填写短信验证码", "sms_code")


class MiniPhoneOut(Base):
    mobile = Masked("mobile")


class MiniIdentityIn(Base):
    name = Text(required=True, validate=validate.Length(1, 100))
    id_type = Text(required=True, validate=validate.OneOf(ID_TYPES))
    id_number = Text(required=True, validate=validate.Length(1, 40))
    id_expiry = fields.Date(allow_none=True)
    country = Text(allow_none=True, validate=validate.Length(max=50))
    gender = Text(allow_none=True, validate=validate.OneOf(("男", "女")))
    birth_date = fields.Date(allow_none=True)


class MiniProfileOut(Base):
    name = Text(allow_none=True)
    id_type = Text(allow_none=True)
    id_number = Masked("id_number")
    id_expiry = fields.Date(allow_none=True)
    country = Text(allow_none=True)
    gender = Text(allow_none=True)
    birth_date = fields.Date(allow_none=True)
    mobile = Masked("mobile")
    member_id = fields.Integer(allow_none=True)


class MiniMembershipOut(Base):
    union_id = fields.Integer()
    union = Text()
    member_no = Text(allow_none=True)
    status = Text()
    source = Text()
    join_date = fields.Date(allow_none=True)


class MiniJoinOut(Base):
    id = fields.Integer()
    union_id = fields.Integer(attribute="org_id")
    union = Text(attribute="org.name")
    source = Text(attribute="source.value")
    work_unit_address = Text(allow_none=True)
    status = Text(attribute="status.value", metadata={"enum": [s.value for s in JoinStatus]})
    reason = Text(allow_none=True, metadata={"description": "驳回原因"})
    member_no = fields.Method("_member_no", allow_none=True, metadata={"type": "string"})
    created_at = Timestamp()
    decided_at = Timestamp(allow_none=True)

    def _member_no(self, application):
        return (
            application.user.member.member_no
            if application.member_id and application.user.member
            else None
        )


class MiniCardStatusOut(Base):
    status = Text(attribute="status.value")
    channel = Text(attribute="channel.value")
    verification = Text(attribute="verification.value")
    card_no = Masked("card_no")
    applied_at = Timestamp(allow_none=True)
    individual = fields.Boolean()


class MiniCoverageOut(Base):
    year = fields.Integer()
    status = Text()
    plan = Text()
    kind = Text()
    start_date = fields.Date()
    end_date = fields.Date()
    covered = fields.Boolean()


class MiniMeOut(Base):
    profile = fields.Nested(MiniProfileOut)
    bound = fields.Boolean()
    membership = fields.Nested(MiniMembershipOut, allow_none=True)
    join_application = fields.Nested(MiniJoinOut, allow_none=True)
    card = fields.Nested(MiniCardStatusOut, allow_none=True)
    coverage = fields.Nested(MiniCoverageOut, allow_none=True)


# --- unions, branches, joining -------------------------------------------------------------
class MiniUnionQuery(Base):
    q = Text(validate=validate.Length(max=50))
    district = Text(validate=validate.Regexp(r"^\d{3}$"), metadata={"description": "区局代码"})


class MiniUnionOut(Base):
    id = fields.Integer()
    name = Text()
    address = Text(allow_none=True)
    contact_phone = Text(allow_none=True)


class MiniDistrictOut(Base):
    code = Text(attribute="district_code", metadata={"description": "区局代码"})
    name = Text()


class MiniBranchQuery(Base):
    district = Text(validate=validate.Regexp(r"^\d{3}$"), metadata={"description": "区局代码"})


class MiniBranchOut(Base):
    code = Text()
    name = Text()
    address = Text()


class MiniJoinIn(Base):
    union_id = _id(required=True)
    source = Text(required=True, validate=validate.OneOf([s.value for s in JoinSource]))
    work_unit_address = Text(allow_none=True, validate=validate.Length(max=100))


# --- the card --------------------------------------------------------------------------------
class MiniCardApplyIn(Base):
    branch_code = Text(required=True, validate=validate.Length(1, 20))
    mailing_address = Text(required=True, validate=validate.Length(1, 200))
    id_expiry = fields.Date(required=True)


class MiniCardLogOut(Base):
    at = Timestamp()
    actor = Text(allow_none=True)
    action = Text()
    from_status = Text(allow_none=True)
    to_status = Text(allow_none=True)
    detail = Text(allow_none=True)


class MiniCardStageOut(Base):
    name = Text(metadata={"description": "校验 / 提交银行 / 银行结果 / 制卡 / 送达 / 激活"})
    state = Text(metadata={"description": "已完成 / 进行中 / 未通过 / 未开始"})
    at = Timestamp(allow_none=True)
    detail = Text(allow_none=True, metadata={"description": "如银行的失败原因"})


class MiniCardApplicationOut(Base):
    id = fields.Integer()
    status = Text(metadata={"description": "校验中 / 校验未通过 / 已提交银行 / 已取消"})
    card_status = Text(allow_none=True)
    channel = Text(metadata={"description": "普通 / 特殊"})
    channel_reason = Text(allow_none=True)
    verification = Text(metadata={"description": "未校验 / 校验中 / 已通过 / 未通过"})
    verification_reasons = fields.List(Text())
    branch_code = Text()
    branch_name = Text()
    mailing_address = Text()
    id_expiry = fields.Date(allow_none=True)
    batch_no = Text(allow_none=True)
    batch_status = Text(allow_none=True)
    card_no = Masked("card_no")
    failure_reason = Text(allow_none=True)
    created_at = Timestamp()
    cancelled_at = Timestamp(allow_none=True)
    log = fields.List(fields.Nested(MiniCardLogOut))
    stages = fields.List(fields.Nested(MiniCardStageOut), metadata={"description": "办卡进度"})
    cancellable = fields.Boolean(metadata={"description": "现在可以取消申请"})
