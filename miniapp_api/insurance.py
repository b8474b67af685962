"""个人参保 in the mini-program: plans open to the member, enrolment with WeChat Pay,
the member's enrolments (coverage) and benefit payouts."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from admin.common import SelectPage, row_page
from unioncard.payments import member
from unioncard.webfields import Text, Timestamp

from .security import SECURITY, current_user, idempotent, member_blueprint

blp = member_blueprint(
    "miniapp_insurance", __name__, "/insurance", "小程序：个人参保、缴费、保障与给付信息"
)

Amount = fields.Decimal(as_string=True, places=2)


EnrolmentPage = row_page(member.present_enrolment)


class MiniInsYearQuery(Schema):
    year = fields.Integer(validate=validate.Range(2000, 2100))


class MiniInsPlanOut(Schema):
    id = fields.Integer()
    name = Text()
    year = fields.Integer()
    fee = Amount
    payable = Amount  # 个人缴费
    city_share = Amount  # 市总统一划拨
    half_year = fields.Boolean()
    coverage_start = fields.Date()
    coverage_end = fields.Date()


class MiniInsPlansOut(Schema):
    year = fields.Integer()
    coverage_start = fields.Date(allow_none=True)
    coverage_end = fields.Date(allow_none=True)
    plans = fields.List(fields.Nested(MiniInsPlanOut))


class MiniInsEnrolIn(Schema):
    plan_id = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1))
    year = fields.Integer(required=True, validate=validate.Range(2000, 2100))


class MiniInsEnrolmentOut(Schema):
    id = fields.Integer()
    year = fields.Integer()
    plan_id = fields.Integer()
    plan_name = Text()
    kind = Text()
    status = Text()
    start_date = fields.Date()  # 起保日期
    end_date = fields.Date()  # 终保日期
    half_year = fields.Boolean()
    fee = Amount
    individual_share = Amount
    covered = fields.Boolean()  # paid and approved (已完成)
    in_force = fields.Boolean()  # covered and today inside the dates
    reason = Text(allow_none=True)
    payment_status = Text(allow_none=True)
    paid_at = Timestamp(allow_none=True)
    refund_status = Text(allow_none=True)
    refunded_at = Timestamp(allow_none=True)


class MiniInsPaymentParams(Schema):
    """Exactly what ``wx.requestPayment`` takes."""

    appId = Text()
    timeStamp = Text()
    nonceStr = Text()
    package = Text()
    signType = Text()
    paySign = Text()


class MiniInsOrderOut(Schema):
    out_trade_no = Text()
    amount = Amount
    status = Text()
    expires_at = Timestamp()


class MiniInsEnrolledOut(MiniInsEnrolmentOut):
    order = fields.Nested(MiniInsOrderOut)
    payment = fields.Nested(MiniInsPaymentParams)  # 服务大厅: WeixinJSBridge getBrandWCPayRequest
    pay_sheet_url = Text(
        allow_none=True,
        metadata={"description": "仅演示/测试：微信外代替支付弹窗的沙箱收银台地址；生产环境为空"},
    )


class MiniInsPayoutOut(Schema):
    id = fields.Integer()
    reference = Text()  # 给付编号
    year = fields.Integer()
    item = Text()  # 给付项目
    amount = Amount
    paid_on = fields.Date()
    remark = Text(allow_none=True)


@blp.get("/plans")
@blp.arguments(MiniInsYearQuery, location="query")
@blp.response(200, MiniInsPlansOut)
@blp.doc(security=SECURITY)
def plans(query):
    """本年度可参加的保障类型（个人缴费金额、起止日期）"""
    return member.open_plans(current_user(), query.get("year"))


@blp.post("/enrolments")
@idempotent
@blp.arguments(MiniInsEnrolIn)
@blp.response(201, MiniInsEnrolledOut)
@blp.doc(security=SECURITY)
def enrol(body):
    """个人参保：创建参保记录与微信支付订单，返回 wx.requestPayment 参数"""
    return member.enrol(current_user(), body["plan_id"], body["year"])


@blp.get("/enrolments")
@blp.response(200, MiniInsEnrolmentOut(many=True))
@blp.paginate(EnrolmentPage)
@blp.doc(security=SECURITY)
def enrolments():
    """我的参保记录与保障期间（缴费并审核通过后保障生效）"""
    return member.enrolments(current_user())


@blp.get("/payouts")
@blp.response(200, MiniInsPayoutOut(many=True))
@blp.paginate(SelectPage)
@blp.doc(security=SECURITY)
def payouts():
    """我的给付信息"""
    return member.payouts(current_user())
