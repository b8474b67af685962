"""Staff login, passwords, lock-out and account management within the data scope."""

from __future__ import annotations

import secrets
import string
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ..audit import services as audit
from ..errors import Conflict, Locked, NotAuthenticated, PermissionDenied, ValidationFailed
from ..extensions import db
from ..models_base import utcnow
from ..orgs.models import Org
from . import passwords, tokens
from .models import Role, StaffAccount
from .scope import Scope

_DUMMY_HASH = None


class LoginFailed(NotAuthenticated):
    """Wrong credentials; the failure counter must be kept, so the transaction commits."""

    persist = True


class LoginLocked(Locked):
    persist = True


def _lock_message(account: StaffAccount) -> str:
    minutes = max(1, int((account.locked_until - utcnow()).total_seconds() // 60) + 1)
    return f"密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试，或联系上级工会解锁"


def login(username: str, password: str, *, ip: str | None) -> dict:
    global _DUMMY_HASH
    account = db.session.scalar(select(StaffAccount).where(StaffAccount.username == username))
    if account is None or not account.active:
        # Same work and answer as a wrong password: do not reveal which usernames exist.
        _DUMMY_HASH = _DUMMY_HASH or passwords.hash_password("not-a-real-password-0")
        passwords.verify_password(_DUMMY_HASH, password)
        raise LoginFailed("用户名或密码错误")
    now = utcnow()
    if account.locked_until and _aware(account.locked_until) > now:
        raise LoginLocked(_lock_message(account))
    if not passwords.verify_password(account.password_hash, password):
        account.failed_logins += 1
        cfg = current_app.config
        detail = {"failed_logins": account.failed_logins}
        if account.failed_logins >= cfg["LOGIN_MAX_FAILURES"]:
            account.locked_until = now + timedelta(seconds=cfg["LOGIN_LOCK_SECONDS"])
            account.failed_logins = 0
            audit.record(
                account,
                "account.locked",
                target_type="staff_account",
                target_ids=[account.id],
                detail=detail,
                ip=ip,
            )
            raise LoginLocked(_lock_message(account))
        left = cfg["LOGIN_MAX_FAILURES"] - account.failed_logins
        raise LoginFailed(f"用户名或密码错误，再错 {left} 次账号将被锁定")
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    token, ttl = tokens.issue(account.id, account.token_version)
    audit.record(
        account, "account.login", target_type="staff_account", target_ids=[account.id], ip=ip
    )
    return {"token": token, "expires_in": ttl, "account": account}


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def authenticate(token: str) -> StaffAccount:
    """The account behind a bearer token, or 401."""
    found = tokens.resolve(token)
    if found is None:
        raise NotAuthenticated("登录已过期或已退出，请重新登录")
    account = db.session.get(StaffAccount, found[0])
    if account is None or not account.active or account.token_version != found[1]:
        tokens.revoke(token)
        raise NotAuthenticated("登录已失效，请重新登录")
    return account


def logout(token: str) -> None:
    tokens.revoke(token)


def change_password(account: StaffAccount, old: str, new: str, *, ip=None) -> None:
    if not passwords.verify_password(account.password_hash, old):
        raise ValidationFailed("原密码不正确", {"old_password": ["原密码不正确"]})
    if old == new:
        raise ValidationFailed(
            "新密码不能与原密码相同", {"new_password": ["新密码不能与原密码相同"]}
        )
    passwords.check_policy(new, username=account.username)
    account.password_hash = passwords.hash_password(new)
    account.must_change_password = False
    account.password_changed_at = utcnow()
    account.token_version += 1  # every other session ends; the caller logs in again
    audit.record(
        account,
        "account.password_changed",
        target_type="staff_account",
        target_ids=[account.id],
        ip=ip,
    )


def temporary_password() -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(12))
        if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            return value


# --- management (admin role, inside the scope) ------------------------------------------
def list_accounts(scope: Scope, *, org_id=None, role=None, q=None):
    stmt = select(StaffAccount).where(scope.owned_by(StaffAccount.org_id))
    if org_id:
        stmt = stmt.where(StaffAccount.org_id == scope.get_org(org_id).id)
    if role:
        stmt = stmt.where(StaffAccount.role == Role(role))
    if q:
        stmt = stmt.where(  # a % or _ typed by a clerk is a character, not a wildcard
            StaffAccount.username.contains(q, autoescape=True)
            | StaffAccount.display_name.contains(q, autoescape=True)
        )
    return stmt.order_by(StaffAccount.id)


def _below(scope: Scope, account: StaffAccount) -> None:
    """An upper union manages the accounts of the unions below it, not its own."""
    if account.id == scope.account_id:
        raise PermissionDenied("不能通过此功能修改自己的账号，请使用修改密码")
    if account.org_id == scope.org_id:
        raise PermissionDenied("只能管理下级工会的账号；本单位的账号请联系上级工会处理")


def create_account(scope: Scope, data: dict, *, ip=None) -> tuple[StaffAccount, str]:
    org = scope.get_org(data["org_id"])
    if db.session.scalar(select(StaffAccount.id).where(StaffAccount.username == data["username"])):
        raise Conflict("该用户名已被使用，请换一个", {"username": ["该用户名已被使用"]})
    role = Role(data["role"])
    _check_role_for_org(role, org)
    password = temporary_password()
    account = StaffAccount(
        username=data["username"],
        display_name=data["display_name"],
        org_id=org.id,
        role=role,
        password_hash=passwords.hash_password(password),
        must_change_password=True,
    )
    db.session.add(account)
    db.session.flush()
    audit.record(
        scope,
        "account.create",
        target_type="staff_account",
        target_ids=[account.id],
        changes={
            "username": [None, account.username],
            "role": [None, role.value],
            "org_id": [None, org.id],
        },
        ip=ip,
    )
    return account, password


def _check_role_for_org(role: Role, org: Org) -> None:
    if role == Role.CENTER and org.parent_id is not None:
        raise ValidationFailed(
            "职保中心账号只能设在市总工会", {"role": ["职保中心账号只能设在市总工会"]}
        )


def get_account(scope: Scope, account_id: int) -> StaffAccount:
    return scope.get(StaffAccount, account_id, message="未找到该账号，或不在您的管辖范围内")


def update_account(scope: Scope, account_id: int, data: dict, *, ip=None) -> StaffAccount:
    account = get_account(scope, account_id)
    _below(scope, account)
    before = {k: getattr(account, k) for k in data}
    if "role" in data:
        data["role"] = Role(data["role"])
        _check_role_for_org(data["role"], account.org)
    if "org_id" in data:
        data["org_id"] = scope.get_org(data["org_id"]).id
    for key, value in data.items():
        setattr(account, key, value)
    if data.get("active") is False or "org_id" in data or "role" in data:
        account.token_version += 1
    audit.record(
        scope,
        "account.update",
        target_type="staff_account",
        target_ids=[account.id],
        changes=audit.changes_between(before, data),
        ip=ip,
    )
    return account


def reset_password(scope: Scope, account_id: int, *, ip=None) -> tuple[StaffAccount, str]:
    account = get_account(scope, account_id)
    _below(scope, account)
    password = temporary_password()
    account.password_hash = passwords.hash_password(password)
    account.must_change_password = True
    account.failed_logins = 0
    account.locked_until = None
    account.token_version += 1
    audit.record(
        scope, "account.reset_password", target_type="staff_account", target_ids=[account.id], ip=ip
    )
    return account, password


def unlock(scope: Scope, account_id: int, *, ip=None) -> StaffAccount:
    account = get_account(scope, account_id)
    _below(scope, account)
    account.failed_logins = 0
    account.locked_until = None
    audit.record(
        scope, "account.unlock", target_type="staff_account", target_ids=[account.id], ip=ip
    )
    return account
