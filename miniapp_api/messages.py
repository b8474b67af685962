"""消息 (小程序 / 服务大厅): the notifications written for the signed-in member."""

from __future__ import annotations

from marshmallow import fields

from admin.common import SelectPage
from unioncard.notifications import inbox
from unioncard.webfields import Text, Timestamp

from .schemas import Base
from .security import SECURITY, current_user, member_blueprint

blp = member_blueprint("miniapp_messages", __name__, "/messages", "小程序：消息")


class MiniMessageOut(Base):
    id = fields.Integer()
    topic = Text(metadata={"description": "会员服务卡 / 个人参保"})
    state = Text(metadata={"description": "通知的状态，如 已办卡、已支付"})
    detail = Text(allow_none=True)
    status = Text(metadata={"description": "待发送 / 已发送 / 用户未订阅 / 发送失败 / 未配置模板"})
    created_at = Timestamp()
    sent_at = Timestamp(allow_none=True)


class _MessagePage(SelectPage):
    @property
    def items(self):
        return [inbox.present(m) for m in super().items]


@blp.get("")
@blp.response(200, MiniMessageOut(many=True))
@blp.paginate(_MessagePage)
@blp.doc(security=SECURITY)
def messages():
    """我的消息：办卡与参保的通知，最新的在前"""
    return inbox.of_user(current_user().id)
