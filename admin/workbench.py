"""首页 (业务工作台): the figures, the work waiting and the charts for the caller's scope."""

from __future__ import annotations

from marshmallow import fields, validate

from unioncard import workbench
from unioncard.openapi import Blueprint
from unioncard.web import read_only
from unioncard.webfields import Text

from .common import Base
from .security import current_scope, requires

blp = Blueprint(
    "admin_workbench", __name__, url_prefix="/api/admin/v1/workbench", description="业务工作台"
)


class FiguresOut(Base):
    members = fields.Integer(metadata={"description": "会员数（正常、未审核、转会中）"})
    grassroots_unions = fields.Integer(metadata={"description": "基层工会组织数"})
    enterprises = fields.Integer(metadata={"description": "覆盖企业数（关联企业）"})


class WorkItemOut(Base):
    key = Text(metadata={"description": "待办种类，前端据此链接到筛选后的列表"})
    label = Text()
    count = fields.Integer()
    unit = Text(metadata={"description": "计数单位：人/个/条/张"})
    detail = Text(allow_none=True, metadata={"description": "补充说明，如其中不能提交的人数"})


class FunnelStepOut(Base):
    status = Text(metadata={"description": "卡片状态"})
    count = fields.Integer(metadata={"description": "到达该状态（或更后状态）的卡片数"})


class ProgressRowOut(Base):
    org_id = fields.Integer()
    org_name = Text()
    members = fields.Integer(metadata={"description": "会员数"})
    enrolled = fields.Integer(metadata={"description": "已参保（提交及以后）人数"})
    covered = fields.Integer(metadata={"description": "参保已完成人数"})


class ProgressOut(Base):
    year = fields.Integer(metadata={"description": "保障年度"})
    rows = fields.List(fields.Nested(ProgressRowOut))


class WorkbenchOut(Base):
    org_name = Text()
    level = Text()
    today = fields.Date(metadata={"description": "今天（上海时间）"})
    figures = fields.Nested(FiguresOut)
    work = fields.List(fields.Nested(WorkItemOut))


class ChartsOut(Base):
    card_funnel = fields.List(fields.Nested(FunnelStepOut))
    enrolment = fields.Nested(ProgressOut)


class JoinsQuery(Base):
    period = Text(
        validate=validate.OneOf(workbench.PERIODS),
        metadata={"description": "today 今日 / week 本周（默认）/ month 本月"},
    )
    start = fields.Date(data_key="from", metadata={"description": "开始日期（与结束日期同时给出）"})
    end = fields.Date(data_key="to", metadata={"description": "结束日期"})


class JoinsDayOut(Base):
    day = fields.Date()
    new = fields.Integer(metadata={"description": "新增"})
    existing = fields.Integer(metadata={"description": "原有"})


class JoinsOut(Base):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    total = fields.Integer(metadata={"description": "期间共计入会人数"})
    days = fields.List(fields.Nested(JoinsDayOut))


@blp.get("")
@blp.response(200, WorkbenchOut)
@requires("member.read")
@read_only(staff=True)
def overview():
    """业务工作台：会员数、基层工会组织数、覆盖企业数与待办事项（统计图另见 /charts）"""
    return workbench.overview(current_scope())


@blp.get("/charts")
@blp.response(200, ChartsOut)
@requires("member.read")
@read_only(staff=True)
def charts():
    """统计图：卡片状态漏斗与本年度参保进度（点“显示统计图”时才取，不拖慢首页）"""
    return workbench.charts(current_scope())


@blp.get("/joins")
@blp.arguments(JoinsQuery, location="query")
@blp.response(200, JoinsOut)
@requires("member.read")
@read_only(staff=True)
def joins(query):
    """入会人数统计图：今日、本周、本月或指定日期范围内每天的新增与原有会员数"""
    return workbench.joins_series(
        current_scope(), query.get("period"), query.get("start"), query.get("end")
    )
