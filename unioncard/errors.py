"""Domain exceptions, raised by services and mapped to HTTP by one handler.

Every message is Chinese and says what to fix. Routes never build error answers by hand.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every expected failure; ``status`` is the HTTP status it maps to."""

    status = 400
    default_message = "请求有误"

    def __init__(self, message: str | None = None, errors: dict | None = None):
        self.message = message or self.default_message
        self.errors = errors or {}
        super().__init__(self.message)


class ValidationFailed(DomainError):
    status = 422
    default_message = "提交的数据有误，请按提示修改"


class NotAuthenticated(DomainError):
    status = 401
    default_message = "请先登录"


class PermissionDenied(DomainError):
    status = 403
    default_message = "您的账号没有此操作的权限"


class NotFound(DomainError):
    status = 404
    default_message = "未找到该记录，或不在您的管辖范围内"


class Conflict(DomainError):
    status = 409
    default_message = "操作与当前状态冲突，请刷新后重试"


class Locked(DomainError):
    status = 423
    default_message = "账号已锁定，请稍后再试"


class TooManyRequests(DomainError):
    status = 429
    default_message = "操作过于频繁，请稍后再试"


class InvalidTransition(Conflict):
    """A status change that the state machine does not allow."""
