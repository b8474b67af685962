"""个人办卡 (小程序): apply, see the progress and card log, cancel before it is sent."""

from __future__ import annotations

from unioncard.selfservice import cards
from unioncard.web import read_only

from .schemas import MiniCardApplicationOut, MiniCardApplyIn
from .security import SECURITY, current_user, member_blueprint

blp = member_blueprint("miniapp_card", __name__, "/card", "小程序：会员服务卡办理")


@blp.post("/applications")
@blp.arguments(MiniCardApplyIn)
@blp.response(201, MiniCardApplicationOut)
@blp.doc(security=SECURITY)
def apply(data):
    """申请办卡（领卡网点、邮寄地址、证件到期日）：自动分通道、系统校验，校验通过后单独成批发往银行"""
    return cards.view(cards.apply(current_user(), data))


@blp.get("/application")
@blp.response(200, MiniCardApplicationOut)
@blp.doc(security=SECURITY)
@read_only
def current():
    """我当前的办卡申请：状态、通道、校验结果、办卡日志"""
    return cards.current_view(current_user())


@blp.post("/application/cancel")
@blp.response(200, MiniCardApplicationOut)
@blp.doc(security=SECURITY)
def cancel():
    """取消办卡申请（发往银行之前可取消）"""
    return cards.view(cards.cancel(current_user()))
