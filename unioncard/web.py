"""HTTP glue shared by every API: the one error shape, client IP, JSON answers.

Errors always answer ``{"code", "status", "message", "errors"}`` with a Chinese message:
never a stack trace, never an HTML page.
"""

from __future__ import annotations

import io
import logging
import re
from http import HTTPStatus
from urllib.parse import quote

from flask import Flask, jsonify, request, send_file
from flask_smorest.utils import deepupdate
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from .errors import DomainError
from .extensions import MEMBER_READS, SESSION_ENGINE, db
from .webfields import clean_filename

log = logging.getLogger(__name__)

STATUS_MESSAGES = {
    400: "请求格式有误，请检查后重试",
    401: "请先登录",
    403: "您的账号没有此操作的权限",
    404: "未找到该地址或记录",
    405: "不支持该请求方式",
    409: "操作与当前状态冲突，请刷新后重试",
    413: "上传的文件过大，请减小文件后重试",
    415: "不支持该内容类型，请使用 JSON 或按说明上传文件",
    422: "提交的数据有误，请按提示修改",
    429: "操作过于频繁，请稍后再试",
    500: "系统繁忙，请稍后再试；如持续出现请联系管理员",
    503: "系统繁忙，请稍后再试",
}

# marshmallow/webargs messages -> Chinese (exact texts and patterns)
_FIELD_MESSAGES = [
    (re.compile(r"^Missing data for required field\.$"), "必填项，请填写"),
    (re.compile(r"^Field may not be null\.$"), "不能为空"),
    (re.compile(r"^Unknown field\.$"), "不支持的字段，请删除"),
    (re.compile(r"^Not a valid integer\.$"), "请填写整数"),
    (re.compile(r"^Not a valid number\.$"), "请填写数字"),
    (re.compile(r"^Not a valid string\.$"), "请填写文字"),
    (re.compile(r"^Not a valid boolean\.$"), "请填写 true 或 false"),
    (re.compile(r"^Not a valid date\.$"), "日期格式应为 2025-01-31"),
    (re.compile(r"^Not a valid datetime\.$"), "时间格式应为 2025-01-31T08:00:00"),
    (re.compile(r"^Not a valid email address\.$"), "邮箱格式不正确"),
    (re.compile(r"^Not a valid list\.$"), "应为列表"),
    (re.compile(r"^Not a valid mapping type\.$"), "应为对象"),
    (re.compile(r"^Invalid input type\.$"), "格式不正确"),
    (re.compile(r"^Must be one of: (.*)\.$"), r"只能是以下之一：\1"),
    (
        re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
        r"应在 \1 到 \2 之间",
    ),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), r"不能小于 \1"),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), r"不能大于 \1"),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), r"长度应为 \1 到 \2 个字符"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), r"至少 \1 个字符"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), r"最多 \1 个字符"),
    (re.compile(r"^Invalid value\.$"), "取值无效"),
]


def translate(message: str) -> str:
    for pattern, repl in _FIELD_MESSAGES:
        if pattern.match(message):
            return pattern.sub(repl, message)
    if re.search(r"[\u4e00-\u9fff]", message):
        return message
    return "取值无效"


def _translate_tree(value):
    if isinstance(value, dict):
        return {str(k): _translate_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_translate_tree(v) for v in value]
    return translate(str(value))


def error_body(status: int, message: str | None = None, errors: dict | None = None) -> dict:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    return {
        "code": status,
        "status": reason,
        "message": message or STATUS_MESSAGES.get(status, "请求未能完成"),
        "errors": errors or {},
    }


def error_response(status: int, message: str | None = None, errors: dict | None = None):
    response = jsonify(error_body(status, message, errors))
    response.status_code = status
    return response


def _rollback():
    try:
        db.session.rollback()
    except Exception:  # the session may itself be broken; the answer matters more
        log.exception("rollback failed")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        if getattr(exc, "persist", False):  # e.g. a failed login counter must be kept
            db.session.commit()
        else:
            _rollback()
        response = error_response(exc.status, exc.message, exc.errors)
        if getattr(exc, "retry_after", None):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        errors = {}
        data = getattr(exc, "data", None) or {}
        if "messages" in data:  # webargs validation
            errors = _translate_tree(data["messages"])
        headers = dict(data.get("headers") or {})
        response = error_response(status, STATUS_MESSAGES.get(status), errors)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            headers["Allow"] = ", ".join(exc.valid_methods)
        for key, value in headers.items():
            response.headers[key] = value
        return response

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError):
        _rollback()
        log.info("integrity error: %s", exc.orig)
        return error_response(
            409, "数据与已有记录冲突（如证件号码、手机号码或名称重复），请核对后重试"
        )

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _out_of_range(exc):
        _rollback()
        log.info("value out of range: %s", exc)
        return error_response(422, "提交的数值超出允许范围，请检查后重试")

    @app.errorhandler(OperationalError)
    def _operational(exc: OperationalError):
        _rollback()
        log.error("dependency unavailable: database: %s", exc.orig)
        return error_response(503)

    @app.errorhandler(RedisError)
    def _redis(exc: RedisError):
        # what is down goes to the log only; the caller reads "系统繁忙" (degrade cleanly)
        _rollback()
        log.error("dependency unavailable: redis: %s: %s", type(exc).__name__, exc)
        return error_response(503)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        _rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500)


READ_ONLY = "unioncard.read_only"  # the session.info flag of a read-only request


class WriteInReadOnlyRequest(RuntimeError):
    """A view marked ``@read_only`` tried to write: a programming error, nothing written."""


def read_only(view=None, *, staff: bool = False):
    """Marks a GET view that only reads: the mini-program's hot reads (``@read_only``) and
    the staff console's lists (``read_only(view, staff=True)``, see ``admin.register``).

    Its statements run without a transaction around them (autocommit): no ``BEGIN`` and no
    ``COMMIT`` round trip to PostgreSQL. Under READ COMMITTED every statement already sees
    its own snapshot, so a reader sees nothing different. On PostgreSQL the mini-program's
    run on the pool of such reads (``MEMBER_READS``), whose connections may keep generic
    plans; staff reads stay on the main pool (each statement planned for its own scope). Any
    ORM write attempted during the request (a flush with changes, an ORM ``insert``,
    ``update`` or ``delete``) raises ``WriteInReadOnlyRequest`` before it reaches the
    database."""

    def mark(v):
        v._read_only = "staff" if staff else MEMBER_READS
        return v

    return mark if view is None else mark(view)


@event.listens_for(db.session, "before_flush")
def _refuse_flush(session, flush_context, instances):
    if session.info.get(READ_ONLY) and (session.new or session.dirty or session.deleted):
        raise WriteInReadOnlyRequest("a @read_only view tried to write (flush)")


@event.listens_for(db.session, "do_orm_execute")
def _refuse_write(state):
    if state.session.info.get(READ_ONLY) and not state.is_select:
        raise WriteInReadOnlyRequest("a @read_only view tried to write (statement)")


def register_request_transaction(app: Flask) -> None:
    """One transaction owner: the request commits once if it succeeded, else rolls back.

    A ``@read_only`` GET view's session runs in autocommit (see ``read_only``): the commit
    at its end costs no round trip. Registered after the other ``before_request`` hooks of
    the app, before every blueprint's: the connection is set up before any statement."""

    @app.before_request
    def _read_only_session():
        if request.method not in ("GET", "HEAD"):
            return
        pool = getattr(app.view_functions.get(request.endpoint), "_read_only", None)
        if pool is None:
            return
        # a session already in a transaction (a test sharing the app context) is left as is
        session = db.session()
        if not session.in_transaction():
            if pool == MEMBER_READS:
                session.info[SESSION_ENGINE] = db.engines.get(MEMBER_READS)  # PostgreSQL only
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            session.info[READ_ONLY] = True

    @app.after_request
    def _commit(response):
        if response.status_code >= 400:
            return response
        try:
            db.session.commit()
        except IntegrityError as exc:
            _rollback()
            log.info("integrity error at commit: %s", exc.orig)
            return error_response(
                409, "数据与已有记录冲突（如证件号码、手机号码或名称重复），请核对后重试"
            )
        return response

    @app.teardown_request
    def _cleanup(exc):
        if exc is not None:
            _rollback()
        session = db.session()
        if session.info.pop(READ_ONLY, False) and session.in_transaction():
            _rollback()  # an answer that did not commit: give the autocommit connection back
        session.info.pop(SESSION_ENGINE, None)


def document_security(blp, security: list) -> None:
    """Every operation of ``blp`` declares ``security`` in the OpenAPI document unless its
    view says otherwise (``document_no_security``): Authorize in /docs then sends the token,
    and generated clients know which calls need one. Call before registering the blueprint."""
    for endpoint_doc in blp._docs.values():  # flask-smorest's per-view doc, read at register
        for method, doc in endpoint_doc.items():
            if method != "parameters":
                doc.setdefault("manual_doc", {}).setdefault("security", security)


def document_no_security(view):
    """Documents a view as anonymous (login, captcha): no security requirement."""
    view._apidoc = deepupdate(getattr(view, "_apidoc", {}), {"manual_doc": {"security": []}})
    return view


def send_download(data: bytes, name: str, mimetype: str, *, inline: bool = False):
    """A file answer; its name normalised (``clean_filename``) and sent as RFC 6266 UTF-8."""
    name = clean_filename(name)
    response = send_file(io.BytesIO(data), mimetype=mimetype, download_name=name)
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(name)}"
    return response


def client_ip() -> str | None:
    """The caller's address; behind a proxy, configure ProxyFix rather than trusting headers."""
    if not request:
        return None
    return request.remote_addr
