"""Member import from the xlsx template (会员批量导入)."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import fields, validate

from unioncard.imports import services
from unioncard.imports.models import ImportStatus
from unioncard.openapi import Blueprint
from unioncard.storage.services import XLSX
from unioncard.web import send_download
from unioncard.webfields import Text, Timestamp

from .common import Base, Id, SelectPage
from .security import current_scope, ip, requires

blp = Blueprint(
    "admin_imports", __name__, url_prefix="/api/admin/v1/imports", description="会员批量导入"
)

XLSX_DOC = {
    "responses": {
        "200": {
            "description": "xlsx 文件",
            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


class OrgArg(Base):
    org_id = Id(metadata={"description": "导入会员的基层工会，默认本单位"})


class UploadForm(OrgArg):
    auto_commit = fields.Boolean(
        load_default=False,
        metadata={
            "description": "true：整个文件无误时直接导入（不经预览确认），适合大文件；有误则一条不导入"
        },
    )


class UploadFile(Base):
    file = Upload(required=True, metadata={"description": "填写好的会员信息采集表（.xlsx）"})


class JobOut(Base):
    id = fields.Integer()
    org_id = Id()
    status = Text(
        metadata={
            "description": "排队中/校验中/校验未通过/待确认导入/导入中/已导入/导入失败/已取消/文件无法读取"
        }
    )
    filename = Text()
    total = fields.Integer(metadata={"description": "数据行数"})
    valid = fields.Integer(metadata={"description": "无误行数"})
    invalid = fields.Integer(metadata={"description": "有误行数"})
    processed = fields.Integer(metadata={"description": "已处理行数（校验或导入的进度）"})
    imported = fields.Integer()
    auto_commit = fields.Boolean()
    header = fields.Dict()
    message = Text(allow_none=True)
    has_annotated_file = fields.Function(
        lambda job: job.annotated_file_id is not None, metadata={"type": "boolean"}
    )
    created_by_name = Text(allow_none=True)
    created_at = Timestamp()
    validated_at = Timestamp(allow_none=True)
    committed_at = Timestamp(allow_none=True)


class JobQuery(OrgArg):
    status = Text(validate=validate.OneOf([s.value for s in ImportStatus]))


class IssueOut(Base):
    row = fields.Integer(metadata={"description": "Excel 行号"})
    column = Text(metadata={"description": "Excel 列"})
    field = Text()
    message = Text()


def _xlsx(filename: str, data: bytes):
    return send_download(data, filename, XLSX)


@blp.get("/template")
@blp.arguments(OrgArg, location="query")
@blp.doc(**XLSX_DOC)
@requires("member.import")
def template(query):
    """下载会员信息采集表模板（已填好工会名称和领卡网点说明）"""
    name, data = services.template_for(current_scope(), query.get("org_id"))
    return _xlsx(name, data)


@blp.post("")
@blp.arguments(UploadForm, location="form")
@blp.arguments(UploadFile, location="files")
@blp.response(202, JobOut)
@requires("member.import")
def upload(form, files):
    """上传会员信息采集表：生成导入任务，后台校验（轮询任务查看进度和结果）"""
    storage = files["file"]
    data = storage.read()
    return services.upload(
        current_scope(),
        form.get("org_id"),
        storage.filename or "",
        data,
        auto_commit=form["auto_commit"],
        ip=ip(),
    )


@blp.get("")
@blp.arguments(JobQuery, location="query")
@blp.response(200, JobOut(many=True))
@blp.paginate(SelectPage)
@requires("member.import")
def list_jobs(query):
    """导入记录"""
    return services.list_jobs(current_scope(), **query)


@blp.get("/<int:job_id>")
@blp.response(200, JobOut)
@requires("member.import")
def get_job(job_id):
    """导入任务：状态、进度和预览统计（总数、无误、有误）"""
    return services.get_job(current_scope(), job_id)


@blp.get("/<int:job_id>/issues")
@blp.response(200, IssueOut(many=True))
@blp.paginate(SelectPage)
@requires("member.import")
def list_issues(job_id):
    """错误明细：行、列和错误信息"""
    return services.issues(current_scope(), job_id)


@blp.get("/<int:job_id>/annotated")
@blp.doc(**XLSX_DOC)
@requires("member.import")
def annotated(job_id):
    """下载错误标注文件（错误单元格标红并批注，末列为错误信息）"""
    return _xlsx(*services.download(current_scope(), job_id, "annotated", ip=ip()))


@blp.get("/<int:job_id>/file")
@blp.doc(**XLSX_DOC)
@requires("member.import")
def original(job_id):
    """下载当初上传的文件（记入审计）"""
    return _xlsx(*services.download(current_scope(), job_id, "original", ip=ip()))


@blp.post("/<int:job_id>/commit")
@blp.response(200, JobOut)
@requires("member.import")
def commit(job_id):
    """确认导入：全部写入或全部不写入，并生成会员编号（进行中任务为“导入中”，可查进度）"""
    return services.commit(current_scope(), job_id, ip=ip())


@blp.post("/<int:job_id>/cancel")
@blp.response(200, JobOut)
@requires("member.import")
def cancel(job_id):
    """取消导入任务：尚未导入的都可以取消（含校验中、导入中、导入失败的），已写入的不受影响"""
    return services.cancel(current_scope(), job_id, ip=ip())
