"""Staff login, passwords, lock-out and account management within the data scope."""

from __future__ import annotations

import secrets
import string
import threading
from datetime import timedelta
from functools import cache

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ..audit import services as audit
from ..errors import Conflict, NotAuthenticated, PermissionDenied, ValidationFailed
from ..extensions import db
from ..fastread import Read, columns_of, entities
from ..models_base import utcnow
from ..orgs.models import Org
from . import captcha, passwords, throttle, tokens
from .models import Role, StaffAccount
from .scope import Scope

_DUMMY_HASHES: dict[tuple, str] = {}
_DUMMY_LOCK = threading.Lock()
LoginFailed = throttle.LoginFailed
LoginLocked = throttle.LoginLocked


def _dummy_hash() -> str:
    """A hash with today's cost settings, checked for unknown usernames (same work)."""
    cfg = current_app.config
    costs = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"])
    with _DUMMY_LOCK:  # once per process and cost, not once per request of a flood
        if costs not in _DUMMY_HASHES:
            _DUMMY_HASHES[costs] = passwords.hash_password("not-a-real-password-0")
        return _DUMMY_HASHES[costs]


def login(
    username: str, password: str, *, ip: str | None, captcha_id=None, captcha_code=None
) -> dict:
    """Known and unknown usernames get the same checks, work and answers (throttle.py)."""
    throttle.check_ip(ip)
    captcha_ok = captcha.verify(captcha_id, captcha_code)
    n = throttle.reserve(username, ip, captcha_ok=captcha_ok, captcha_given=bool(captcha_code))
    account = db.session.scalar(select(StaffAccount).where(StaffAccount.username == username))
    if account is not None and not account.active:
        account = None
    # the kv count is the lock (``locked_until`` on the row is its copy for the console):
    # each of the attempts that took a slot gets its password checked
    now = utcnow()
    stored = account.password_hash if account else None
    db.session.rollback()  # a flood waiting for a hash thread holds no database connection
    stored = stored or _dummy_hash()
    ok = throttle.check_password(username, stored, password)
    if not (account and ok):
        locked = throttle.failed(username, ip, n)
        if account:
            _count_failure(account, locked, now, ip)
        if locked:
            raise LoginLocked(throttle.lock_seconds(username))
        raise LoginFailed(captcha_required=throttle.captcha_wanted(username, ip))
    throttle.clear(username)
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


def new_captcha(*, ip: str | None) -> dict:
    return captcha.issue(ip)


def _count_failure(account: StaffAccount, locked: bool, now, ip) -> None:
    """Mirror the kv count on the row (one atomic UPDATE), and the lock for the console."""
    values = {"failed_logins": StaffAccount.failed_logins + 1}
    if locked:
        seconds = current_app.config["LOGIN_LOCK_SECONDS"]
        values = {"failed_logins": 0, "locked_until": now + timedelta(seconds=seconds)}
    db.session.execute(
        update(StaffAccount).where(StaffAccount.id == account.id).values(**values),
        execution_options={"synchronize_session": False},
    )
    if locked:
        audit.record(
            account,
            "account.locked",
            target_type="staff_account",
            target_ids=[account.id],
            detail={"failed_logins": current_app.config["LOGIN_MAX_FAILURES"]},
            ip=ip,
        )


def authenticate(token: str) -> StaffAccount:
    """The account behind a bearer token, or 401."""
    found = tokens.resolve(token)
    if found is None:
        raise NotAuthenticated("登录已过期或已退出，请重新登录")
    account = _account(found[0])
    if account is None or not account.active or account.token_version != found[1]:
        tokens.revoke(token)
        raise NotAuthenticated("登录已失效，请重新登录")
    return account


# the account and its org in one statement: every admin request needs both (its scope); read
# by ``fastread`` (compiled once, no ORM statement machinery), entities as a query loads them
_ACCOUNT = Read(
    lambda: (
        select(*columns_of(StaffAccount, Org))
        .select_from(StaffAccount)
        .outerjoin(Org, Org.id == StaffAccount.org_id)
        .where(StaffAccount.id == bindparam("account_id"))
    )
)


def _account(account_id: int) -> StaffAccount | None:
    if db.session.identity_map.get(identity_key(StaffAccount, account_id)) is not None:
        # the session's own (tests share one): as a query would answer
        return db.session.get(
            StaffAccount, account_id, options=[joinedload(StaffAccount.org)], populate_existing=True
        )
    row = _ACCOUNT.first({"account_id": account_id})
    if row is None:
        return None
    account, org = entities(row, StaffAccount, Org)
    if org is not None:  # account.org without a lazy load (the identity map holds it too)
        set_committed_value(account, "org", org)
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
    return stmt.order_by(StaffAccount.id).options(_with_org())


@cache
def _with_org():
    """The loader option, built once (options are immutable)."""
    return selectinload(StaffAccount.org)


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
    throttle.clear(account.username)
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
    throttle.clear(account.username)
    audit.record(
        scope, "account.unlock", target_type="staff_account", target_ids=[account.id], ip=ip
    )
    return account
