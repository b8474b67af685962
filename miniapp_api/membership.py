"""入会 (小程序): unions that accept individuals, branches, and the join application."""

from __future__ import annotations

from admin.common import SelectPage
from unioncard.selfservice import joins, places

from .schemas import (
    MiniBranchOut,
    MiniBranchQuery,
    MiniDistrictOut,
    MiniJoinIn,
    MiniJoinOut,
    MiniUnionOut,
    MiniUnionQuery,
)
from .security import SECURITY, current_user, member_blueprint

blp = member_blueprint("miniapp_membership", __name__, "", "小程序：入会与领卡网点")


@blp.get("/unions")
@blp.arguments(MiniUnionQuery, location="query")
@blp.response(200, MiniUnionOut(many=True))
@blp.paginate(SelectPage)
@blp.doc(security=SECURITY)
def unions(query):
    """接收个人入会的工会（按名称 q、区局代码 district 筛选）"""
    return joins.unions(query)


@blp.get("/districts")
@blp.response(200, MiniDistrictOut(many=True))
@blp.paginate(SelectPage)
@blp.doc(security=SECURITY)
def districts():
    """区局列表（代码与名称）：查找工会与领卡网点时先选区局"""
    return places.districts()


@blp.get("/branches")
@blp.arguments(MiniBranchQuery, location="query")
@blp.response(200, MiniBranchOut(many=True))
@blp.paginate(SelectPage)
@blp.doc(security=SECURITY)
def branches(query):
    """领卡网点（按区局代码 district 筛选）"""
    return places.branches(query)


@blp.post("/membership/applications")
@blp.arguments(MiniJoinIn)
@blp.response(201, MiniJoinOut)
@blp.doc(security=SECURITY)
def apply(data):
    """申请入会（待工会审核）；须先实名认证并绑定手机"""
    return joins.apply(current_user(), data)


@blp.get("/membership/applications/current")
@blp.response(200, MiniJoinOut)
@blp.doc(security=SECURITY)
def current():
    """我最近一次入会申请及其状态"""
    return joins.current(current_user())


@blp.post("/membership/applications/current/withdraw")
@blp.response(200, MiniJoinOut)
@blp.doc(security=SECURITY)
def withdraw():
    """撤回待审核的入会申请"""
    return joins.withdraw(current_user())
