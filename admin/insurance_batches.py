"""参保批次管理, 集中参保实时监控, 保障/给付信息查询, 给付登记, 消息提醒: routes only.

Services: unioncard.insurance.batches, vouchers, statistics, queries, payouts and
unioncard.orgs.messages.
"""

from __future__ import annotations

from unioncard.insurance import batches, payouts, queries, statistics, vouchers
from unioncard.members import idcard
from unioncard.openapi import Blueprint
from unioncard.orgs import messages
from unioncard.web import send_download

from .common import SelectPage, row_page
from .imports import XLSX_DOC, _xlsx
from .insurance_review_schemas import (
    InsBatchDetailOut,
    InsBatchOut,
    InsBatchQuery,
    InsCoverageOut,
    InsCoverageQuery,
    InsMessageOut,
    InsMessageQuery,
    InsMonitorOut,
    InsMonitorQuery,
    InsPayoutFile,
    InsPayoutImportOut,
    InsPayoutIn,
    InsPayoutOut,
    InsPayoutQuery,
    InsReadIn,
    InsReadOut,
    InsVoucherFile,
    InsVoucherForm,
)
from .security import current_scope, ip, requires

blp = Blueprint(
    "admin_insurance_batches",
    __name__,
    url_prefix="/api/admin/v1/insurance",
    description="参保批次管理、实时监控、保障与给付信息查询、消息提醒",
)

FILE_DOC = {
    "responses": {
        "200": {
            "description": "文件（JPG/PNG/PDF）",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    }
}
PDF_DOC = {
    "responses": {
        "200": {
            "description": "PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def _file(name: str, mimetype: str, data: bytes, *, inline: bool = False):
    return send_download(data, name, mimetype, inline=inline)


# --- batches -------------------------------------------------------------------------
@blp.get("/batches")
@blp.arguments(InsBatchQuery, location="query")
@blp.response(200, InsBatchOut(many=True))
@blp.paginate(row_page(batches.present_batch))
@requires("insurance.read")
def list_batches(query):
    """参保批次列表（区局看本区局，职保中心看全部）"""
    return batches.list_batches(current_scope(), query)


@blp.get("/batches/<int:insurance_batch_id>")
@blp.response(200, InsBatchDetailOut)
@requires("insurance.read")
def get_batch(insurance_batch_id):
    """批次详情：各单位提交、各参保通道人数"""
    return batches.batch_detail(current_scope(), insurance_batch_id)


@blp.post("/batches/<int:insurance_batch_id>/voucher")
@blp.arguments(InsVoucherForm, location="form")
@blp.arguments(InsVoucherFile, location="files")
@blp.response(200, InsBatchOut)
@requires("insurance.review")
def upload_voucher(form, files, insurance_batch_id):
    """上传缴费凭证（JPG/PNG 图片或 PDF，按内容校验；确认前可重新上传）"""
    storage = files["file"]
    return vouchers.upload(
        current_scope(),
        insurance_batch_id,
        storage.filename,
        storage.read(),
        title=form.get("filename"),
        ip=ip(),
    )


@blp.get("/batches/<int:insurance_batch_id>/voucher")
@blp.doc(**FILE_DOC)
@requires("insurance.read")
def download_voucher(insurance_batch_id):
    """下载缴费凭证（记入审计）"""
    name, mimetype, data = vouchers.download(current_scope(), insurance_batch_id, ip=ip())
    return _file(name, mimetype, data)


@blp.get("/batches/<int:insurance_batch_id>/statistics")
@blp.doc(**XLSX_DOC)
@requires("insurance.read")
def download_statistics(insurance_batch_id):
    """下载集中参保统计表（xlsx，每人一行，证件号码脱敏，含合计；记入审计）"""
    return _xlsx(*statistics.statistics_xlsx(current_scope(), insurance_batch_id, ip=ip()))


@blp.get("/batches/<int:insurance_batch_id>/notice")
@blp.doc(**PDF_DOC)
@requires("insurance.read")
def download_notice(insurance_batch_id):
    """下载集中参保告知书（区局告知书 PDF）"""
    name, data = statistics.notice_pdf(current_scope(), insurance_batch_id, ip=ip())
    return _file(name, "application/pdf", data, inline=True)


@blp.post("/batches/<int:insurance_batch_id>/confirm")
@blp.response(200, InsBatchOut)
@requires("insurance.confirm")
def confirm_batch(insurance_batch_id):
    """职保中心确认已缴费：批次、单位提交和参保人员均为已完成"""
    return batches.confirm(current_scope(), insurance_batch_id, ip=ip())


@blp.get("/monitor")
@blp.arguments(InsMonitorQuery, location="query")
@blp.response(200, InsMonitorOut)
@requires("insurance.read")
def monitor(query):
    """集中参保实时监控：按区局、单位、状态统计"""
    year = query.get("year") or idcard.today_in_china().year + 1
    return batches.monitor(current_scope(), year)


# --- queries -------------------------------------------------------------------------
@blp.get("/coverage")
@blp.arguments(InsCoverageQuery, location="query")
@blp.response(200, InsCoverageOut(many=True))
@blp.paginate(row_page(queries.present_coverage))
@requires("insurance.read")
def coverage(query):
    """保障信息查询（按姓名、证件号码、单位、年度、状态）"""
    return queries.coverage(current_scope(), query)


@blp.get("/payouts")
@blp.arguments(InsPayoutQuery, location="query")
@blp.response(200, InsPayoutOut(many=True))
@blp.paginate(row_page(queries.present_payout))
@requires("insurance.read")
def list_payouts(query):
    """给付信息查询（按姓名、证件号码、单位、年度）"""
    return queries.payouts(current_scope(), query)


@blp.post("/payouts")
@blp.arguments(InsPayoutIn)
@blp.response(201, InsPayoutOut)
@requires("payout.manage")
def record_payout(data):
    """职保中心登记一笔给付（会员须在给付日期有已完成的保障；给付编号重复且内容相同时不重复登记）"""
    payout, _created = payouts.record(current_scope(), data, ip=ip())
    return payout


@blp.get("/payouts/<int:payout_id>")
@blp.response(200, InsPayoutOut)
@requires("insurance.read")
def get_payout(payout_id):
    """给付详情"""
    return queries.payout_detail(current_scope(), payout_id)


@blp.get("/payouts/template")
@blp.doc(**XLSX_DOC)
@requires("payout.manage")
def payout_template():
    """下载给付信息导入模板"""
    return _xlsx(*payouts.template())


@blp.post("/payouts/import")
@blp.arguments(InsPayoutFile, location="files")
@blp.response(200, InsPayoutImportOut)
@requires("payout.manage")
def import_payouts(files):
    """导入给付信息（xlsx）：全部无误才导入；已登记的给付编号不重复导入"""
    storage = files["file"]
    return payouts.import_file(current_scope(), storage.filename or "", storage.read(), ip=ip())


# --- messages ------------------------------------------------------------------------
@blp.get("/messages")
@blp.arguments(InsMessageQuery, location="query")
@blp.response(200, InsMessageOut(many=True))
@blp.paginate(SelectPage)
@requires("org.read")
def list_messages(query):
    """消息提醒（本单位）"""
    return messages.list_messages(current_scope(), **query)


@blp.post("/messages/read")
@blp.arguments(InsReadIn)
@blp.response(200, InsReadOut)
@requires("org.read")
def read_messages(data):
    """标记消息为已读（不传 ids 时全部标记）"""
    scope = current_scope()
    marked = messages.mark_read(scope, data.get("ids"))
    return {"marked": marked, "unread": messages.unread_count(scope)}
