"""个人参保缴费: a member's personal enrolment and its WeChat Pay order.

``enrol_and_pay`` creates the enrolment (``insurance.instant.enrol_individual``, 待支付) and
its JSAPI order, and answers both with the ``wx.requestPayment`` parameters. The enrolment is
flushed first: its unique holding key (one enrolment per member and year) makes a second
device racing on the same enrolment wait for the first and then get the first's enrolment
and order (one enrolment, one order). A member asking again while the order is open gets
the same order back; an expired one is closed first. WeChat Pay being unreachable
rolls everything back (503): nothing is left half-made.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from integrations.wechatpay.client import WeChatPayError, WeChatPayRejected

from ..errors import Conflict, DomainError, NotFound, PermissionDenied
from ..extensions import db
from ..insurance import rules
from ..insurance.models import HOLDING, CoveragePlan, Enrolment, EnrolmentStatus
from ..members import idcard
from ..models_base import SHANGHAI, utcnow
from ..selfservice.models import MemberUser
from . import gateway
from .models import OrderStatus, PaymentOrder

RENEW_MARGIN = timedelta(minutes=2)  # an order this close to expiry is not handed out again


class PaymentUnavailable(DomainError):
    status = 503
    default_message = "微信支付暂时无法使用，请稍后重试"


def member_of(user: MemberUser):
    """The member bound to this WeChat user, holding a card (§7: enrol once carded)."""
    from ..cards.models import MemberCard

    if user.member_id is None or user.member is None:
        raise PermissionDenied("请先完成实名认证并加入工会，成为会员后再参保")
    member = user.member
    if member.status != "正常":
        raise PermissionDenied(f"会员状态为“{member.status}”，不能参保")
    card = db.session.scalar(select(MemberCard.status).where(MemberCard.member_id == member.id))
    if card is None or card.value not in rules.CARDED:
        raise PermissionDenied("办理工会会员服务卡后才能参保，请先申请办卡")
    return member


def holding_enrolment(member_id: int, year: int) -> Enrolment | None:
    return db.session.scalar(
        select(Enrolment).where(
            Enrolment.member_id == member_id,
            Enrolment.year == year,
            Enrolment.status.in_(HOLDING),
        )
    )


def order_of(enrolment_id: int) -> PaymentOrder | None:
    return db.session.scalar(select(PaymentOrder).where(PaymentOrder.enrolment_id == enrolment_id))


def enrol_and_pay(user: MemberUser, plan_id: int, year: int) -> dict:
    """POST /insurance/enrolments: ``{"enrolment", "order", "payment"}``."""
    from ..insurance import instant

    member = member_of(user)
    today = idcard.today_in_china()
    _one_at_a_time(user)
    existing = holding_enrolment(member.id, year)
    if existing is not None:
        answer = _resume(existing, user, plan_id)
        if answer is not None:
            return answer
    plan = db.session.get(CoveragePlan, plan_id)
    if plan is None:
        raise NotFound("未找到该保障类型，请刷新后重新选择")
    try:
        enrolment = instant.enrol_individual(member, plan, year, today)
    except Conflict:
        # another device of the member may have won the race (the holding key refused our
        # row once its enrolment committed): answer that enrolment and its order
        existing = holding_enrolment(member.id, year)
        if existing is None:
            raise
        answer = _resume(existing, user, plan_id)
        if answer is None:
            raise
        return answer
    order = _place_order(enrolment, user, plan)
    return _answer(enrolment, order)


def _one_at_a_time(user: MemberUser) -> None:
    """Lock the member's WeChat user row for the rest of the transaction (a no-op UPDATE):
    a second device of the member waits here until the first has committed its enrolment
    and order, then finds and answers them."""
    db.session.execute(
        update(MemberUser)
        .where(MemberUser.id == user.id)
        .values(updated_at=MemberUser.updated_at)
        .execution_options(synchronize_session=False)
    )


def _resume(existing: Enrolment, user: MemberUser, plan_id: int) -> dict | None:
    """The open order of an unpaid enrolment again; None once an expired one is closed."""
    if existing.status != EnrolmentStatus.AWAITING_PAYMENT:
        raise Conflict(f"您已参加{existing.year}年度保障（{existing.status.value}），无需重复参保")
    order = order_of(existing.id)
    if order is not None and order.status == OrderStatus.AWAITING:
        if order.expires_at - RENEW_MARGIN > utcnow():
            if existing.plan_id != plan_id:
                raise Conflict("您有一笔待支付的参保订单（保障类型不同），请先完成或等待其超时关闭")
            return _answer(existing, order)
        from .settlement import expire_order

        if expire_order(order) == OrderStatus.PAID:
            raise Conflict("您已完成本年度参保缴费，请刷新后查看")
        return None
    raise Conflict("参保订单正在处理中，请稍后刷新查看")


def new_out_trade_no(enrolment_id: int) -> str:
    """商户订单号: ``UC`` + Shanghai date + enrolment id + random (≤ 32 characters)."""
    day = utcnow().astimezone(SHANGHAI).strftime("%Y%m%d")
    return f"UC{day}{enrolment_id:010d}{secrets.token_hex(3).upper()}"


def _place_order(enrolment: Enrolment, user: MemberUser, plan: CoveragePlan) -> PaymentOrder:
    if enrolment.individual_share <= 0:
        raise Conflict("该保障类型无需个人缴费，请联系所在工会办理")
    ttl = int(current_app.config.get("WECHATPAY_ORDER_TTL_MINUTES") or 30)
    expires = utcnow().replace(microsecond=0) + timedelta(minutes=ttl)
    pay_appid, pay_openid = gateway.payer(user)
    order = PaymentOrder(
        out_trade_no=new_out_trade_no(enrolment.id),
        enrolment_id=enrolment.id,
        member_id=enrolment.member_id,
        user_id=user.id,
        appid=pay_appid,
        openid=pay_openid,
        description=f"{enrolment.year}年度{plan.name}"[:127],
        amount=enrolment.individual_share,
        status=OrderStatus.AWAITING,
        expires_at=expires,
    )
    try:
        order.prepay_id = gateway.client().jsapi_order(
            appid=order.appid,
            openid=order.openid,
            out_trade_no=order.out_trade_no,
            amount_fen=order.amount_fen,
            description=order.description,
            notify_url=gateway.notify_url(),
            time_expire=expires.astimezone(SHANGHAI).isoformat(timespec="seconds"),
            attach=f"enrolment:{enrolment.id}",
        )
    except WeChatPayRejected as exc:
        raise Conflict(f"微信支付下单失败：{exc.detail}，请稍后重试") from None
    except WeChatPayError as exc:
        raise PaymentUnavailable(exc.message) from None
    db.session.add(order)
    db.session.flush()
    return order


def _answer(enrolment: Enrolment, order: PaymentOrder) -> dict:
    params = gateway.client().request_payment_params(order.appid, order.prepay_id)
    return {"enrolment": enrolment, "order": order, "payment": params,
            "pay_sheet_url": gateway.pay_sheet_url(order)}  # fmt: skip
