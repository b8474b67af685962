"""会员专享保障 (admin): plans, district splits, campaigns, a grassroots union's collective
enrolment (card and social-security channels), instant enrolment, submissions and notices.

Union-specific screens take the union in the path (``/unions/<org_id>/…``): the scope hook
checks it before the view runs, and only grassroots unions are accepted by the services.
"""

from __future__ import annotations

from unioncard.insurance import collective, instant, notices, plans, social
from unioncard.openapi import Blueprint
from unioncard.web import read_only, send_download

from . import insurance_schemas as s
from .common import Message, SelectPage, row_page
from .security import current_scope, ip, requires

blp = Blueprint(
    "admin_insurance",
    __name__,
    url_prefix="/api/admin/v1/insurance",
    description="会员专享保障：保障类型、集中参保、即时参保、告知书",
)
UNION = "/unions/<int:org_id>"


# --- 保障类型 ----------------------------------------------------------------------------
@blp.get("/plans")
@blp.arguments(s.YearQuery, location="query")
@blp.response(200, s.PlanWithSplitOut(many=True))
@requires("insurance.read")
def list_plans(query):
    """保障类型列表（含对本单位生效的分摊）"""
    return plans.list_plans(current_scope(), query.get("year"))


@blp.post("/plans")
@blp.arguments(s.PlanIn)
@blp.response(201, s.PlanOut)
@requires("plan.manage")
def create_plan(data):
    """新增保障类型（职保中心）：参保费用 = 市总统一划拨 + 区局/各级工会 + 基层单位"""
    return plans.create_plan(current_scope(), data, ip=ip())


@blp.put("/plans/<int:plan_id>")
@blp.arguments(s.PlanUpdateIn)
@blp.response(200, s.PlanOut)
@requires("plan.manage")
def update_plan(data, plan_id):
    """修改保障类型（已有会员参保后金额不可改）"""
    return plans.update_plan(current_scope(), plan_id, data, ip=ip())


# --- 保障金额设置（区局） -----------------------------------------------------------------
@blp.get("/splits")
@blp.arguments(s.SplitQuery, location="query")
@blp.response(200, s.PlanWithSplitOut(many=True))
@requires("plan.split")
def list_splits(query):
    """本区局的保障金额设置（各保障类型的分摊）"""
    scope = current_scope()
    if query.get("plan_id"):
        return [plans.get_split(scope, query["plan_id"])]
    return plans.list_plans(scope, query.get("year"))


@blp.put("/splits")
@blp.arguments(s.SplitIn)
@blp.response(200, s.PlanWithSplitOut)
@requires("plan.split")
def set_split(data):
    """保存设置：区局/各级工会与基层单位的缴纳金额（市总统一划拨不变，仅在设置时间内）"""
    return plans.set_split(
        current_scope(),
        data["plan_id"],
        data["district_share"],
        data["grassroots_share"],
        ip=ip(),
    )


# --- 集中参保时间设置 --------------------------------------------------------------------
@blp.get("/campaigns")
@blp.arguments(s.YearQuery, location="query")
@blp.response(200, s.CampaignOut(many=True))
@requires("insurance.read")
def list_campaigns(query):
    """集中参保及其时间窗口"""
    return [plans.campaign_state(c) for c in plans.list_campaigns(query.get("year"))]


@blp.post("/campaigns")
@blp.arguments(s.CampaignIn)
@blp.response(201, s.CampaignOut)
@requires("plan.manage")
def create_campaign(data):
    """开启集中参保（职保中心）：各截止日须为工作日"""
    return plans.campaign_state(plans.create_campaign(current_scope(), data, ip=ip()))


@blp.put("/campaigns/<int:campaign_id>")
@blp.arguments(s.CampaignUpdateIn)
@blp.response(200, s.CampaignOut)
@requires("plan.manage")
def update_campaign(data, campaign_id):
    """修改集中参保时间"""
    return plans.campaign_state(plans.update_campaign(current_scope(), campaign_id, data, ip=ip()))


# --- 集中参保（会员卡参保） ----------------------------------------------------------------
@blp.get(UNION + "/collective/stats")
@blp.arguments(s.UnionYearQuery, location="query")
@blp.response(200, s.StatsOut)
@requires("insurance.enrol")
@read_only(staff=True)
def stats(query, org_id):
    """统计行：会员总人数、有卡总会员数、集中参保已提交人数、未办卡、退休、死亡、待确认"""
    result = collective.stats(current_scope(), org_id, query["year"])
    return result | {"line": collective.stats_line(result)}


@blp.get(UNION + "/collective/to-confirm")
@blp.arguments(s.MemberFilter, location="query")
@blp.response(200, s.MemberRowOut(many=True))
@blp.paginate(row_page(s.present_confirm))
@requires("insurance.enrol")
def to_confirm(query, org_id):
    """集中参保待确认名单（人保状态为待确认的会员）"""
    return collective.to_confirm_list(current_scope(), org_id, query["year"], query)


@blp.post(UNION + "/collective/confirmations")
@blp.arguments(s.ConfirmIn)
@blp.response(200, s.CountOut)
@requires("insurance.enrol")
def confirm(data, org_id):
    """确认一名会员（确认后加入集中参保名单且无法移除）"""
    count = collective.confirm(current_scope(), org_id, data["year"], data["member_id"], ip=ip())
    return {"count": count, "message": "已确认；若之前已提交过集中参保名单，确认后需再次提交"}


@blp.post(UNION + "/collective/confirmations/all")
@blp.arguments(s.ConfirmAllIn)
@blp.response(200, s.CountOut)
@requires("insurance.enrol")
def confirm_all(data, org_id):
    """全部确认"""
    count = collective.confirm_all(current_scope(), org_id, data["year"], ip=ip())
    return {
        "count": count,
        "message": f"已确认 {count} 人；若之前已提交过集中参保名单，确认后需再次提交",
    }


@blp.get(UNION + "/collective/eligible")
@blp.arguments(s.EligibleQuery, location="query")
@blp.response(200, s.MemberRowOut(many=True))
@blp.paginate(s.CollectivePage)
@requires("insurance.enrol")
def eligible(query, org_id):
    """会员卡参保可参保名单（起保日期、终保日期、半年/全年、退休预警）"""
    return collective.eligible_list(current_scope(), org_id, query["year"], query)


@blp.get(UNION + "/collective/retirement-warnings")
@blp.arguments(s.UnionYearQuery, location="query")
@blp.response(200, s.MemberRowOut(many=True))
@blp.paginate(s.CollectivePage)
@requires("insurance.enrol")
def retirement_warnings(query, org_id):
    """退休预警：按出生日期将于保障年度开始前达到法定退休年龄、人保库尚未报告的会员"""
    return collective.retirement_warnings(current_scope(), org_id, query["year"])


@blp.post(UNION + "/collective/preview")
@blp.arguments(s.CollectiveSubmitIn)
@blp.response(200, s.PreviewOut)
@requires("insurance.enrol")
def preview(data, org_id):
    """参保确认画面：保障类型、人数、费用及分摊、划款截止日、保障日期、【重要提示】"""
    return collective.preview(current_scope(), org_id, **data)


@blp.post(UNION + "/collective/submit")
@blp.arguments(s.CollectiveSubmitIn)
@blp.response(201, s.UnitSubmissionOut)
@requires("insurance.enrol")
def submit(data, org_id):
    """提交至区局审核（集中参保提交时间内）；生成告知书"""
    return collective.submit(current_scope(), org_id, ip=ip(), **data)


# --- 社保卡参保 --------------------------------------------------------------------------
@blp.post(UNION + "/social/checks")
@blp.arguments(s.CheckIn)
@blp.response(202, s.CheckOut)
@requires("insurance.enrol")
def start_check(data, org_id):
    """获取社保卡和就业状态（下一个工作日前返回结果）"""
    return social.start_check(current_scope(), org_id, data["year"], ip=ip())


@blp.get("/social/checks")
@blp.arguments(s.CheckQuery, location="query")
@blp.response(200, s.CheckOut(many=True))
@blp.paginate(SelectPage)
@requires("insurance.read")
def list_checks(query):
    """获取社保卡和就业状态的请求记录"""
    return social.checks(current_scope(), query)


@blp.get("/social/checks/<int:check_id>")
@blp.response(200, s.CheckOut)
@requires("insurance.read")
def get_check(check_id):
    """一次请求的状态（查询中 / 已返回 / 查询失败）"""
    return social.get_check(current_scope(), check_id)


@blp.get(UNION + "/social/to-check")
@blp.arguments(s.SocialQuery, location="query")
@blp.response(200, s.MemberRowOut(many=True))
@blp.paginate(s.SocialPage)
@requires("insurance.enrol")
def social_to_check(query, org_id):
    """待校验：社保卡状态或就业状态异常、尚未获取或待确认的会员（附原因）"""
    return social.social_list(current_scope(), org_id, query["year"], "待校验", query)


@blp.get(UNION + "/social/to-submit")
@blp.arguments(s.SocialQuery, location="query")
@blp.response(200, s.MemberRowOut(many=True))
@blp.paginate(s.SocialPage)
@requires("insurance.enrol")
def social_to_submit(query, org_id):
    """待提交：社保卡状态正常且在职的会员"""
    return social.social_list(current_scope(), org_id, query["year"], "待提交", query)


@blp.post(UNION + "/social/submit")
@blp.arguments(s.SocialSubmitIn)
@blp.response(201, s.UnitSubmissionOut)
@requires("insurance.enrol")
def social_submit(data, org_id):
    """提交至上级审核（勾选的待提交会员）"""
    return social.submit(current_scope(), org_id, ip=ip(), **data)


# --- 即时参保 ----------------------------------------------------------------------------
@blp.get(UNION + "/instant/candidates")
@blp.arguments(s.InstantQuery, location="query")
@blp.response(200, s.MemberRowOut(many=True))
@blp.paginate(s.InstantPage)
@requires("insurance.enrol")
def instant_candidates(query, org_id):
    """即时参保名单：有卡无保 / 新办卡（保障自次日起至年底）"""
    return instant.candidates(current_scope(), org_id, query["kind"], query)


@blp.post(UNION + "/instant/submit")
@blp.arguments(s.InstantSubmitIn)
@blp.response(201, s.UnitSubmissionOut)
@requires("insurance.enrol")
def instant_submit(data, org_id):
    """即时参保：提交至区局审核"""
    return instant.submit(current_scope(), org_id, ip=ip(), **data)


# --- 参保信息管理 ------------------------------------------------------------------------
@blp.get("/submissions")
@blp.arguments(s.SubmissionQuery, location="query")
@blp.response(200, s.UnitSubmissionOut(many=True))
@blp.paginate(SelectPage)
@requires("insurance.read")
def list_submissions(query):
    """参保信息管理：批次编号、参保人数、提交时间、最后更新时间、状态、参保类型、退回原因"""
    return collective.submissions(current_scope(), query)


@blp.get("/submissions/<int:submission_id>")
@blp.response(200, s.UnitSubmissionOut)
@requires("insurance.read")
def get_submission(submission_id):
    """一次提交的详情"""
    return collective.get_submission(current_scope(), submission_id)


@blp.get("/submissions/<int:submission_id>/members")
@blp.response(200, s.EnrolledOut(many=True))
@blp.paginate(s.EnrolledPage)
@requires("insurance.read")
def submission_members(submission_id):
    """一次提交的参保人员"""
    return collective.enrolled_members(current_scope(), submission_id)


# --- 告知书 ------------------------------------------------------------------------------
@blp.get("/notices")
@blp.arguments(s.NoticeQuery, location="query")
@blp.response(200, s.NoticeOut(many=True))
@blp.paginate(SelectPage)
@requires("insurance.read")
def list_notices(query):
    """告知书列表（基层单位告知书、区局告知书）"""
    return notices.notices(current_scope(), query)


@blp.get("/notices/<int:notice_id>/pdf")
@blp.doc(
    responses={
        "200": {
            "description": "PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
)
@requires("insurance.read")
def notice_pdf(notice_id):
    """重新下载告知书（PDF）"""
    name, data = notices.download(current_scope(), notice_id, ip=ip())
    return send_download(data, name, "application/pdf")


__all__ = ["Message", "blp"]
