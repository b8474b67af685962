"""The org tree, related enterprises and bank branches, managed within the data scope."""

from __future__ import annotations

import re
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.scope import Scope
from ..audit import services as audit
from ..errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ..extensions import db
from .models import CHILD_LEVELS, BankBranch, Org, OrgLevel, RelatedEnterprise, UnitType
from .uscc import is_valid_uscc, normalise_uscc

ORG_FIELDS = (
    "name",
    "uscc",
    "unit_type",
    "address",
    "contact_name",
    "contact_phone",
    "accepts_individuals",
    "district_code",
    "active",
)


def _clean_org_fields(data: dict, level: OrgLevel) -> dict:
    clean = dict(data)
    errors: dict[str, list[str]] = {}
    if "name" in clean:
        clean["name"] = clean["name"].strip().replace("\u3000", " ").strip()
        if not clean["name"]:
            errors["name"] = ["请填写工会全称"]
    if clean.get("uscc"):
        clean["uscc"] = normalise_uscc(clean["uscc"])
        if not is_valid_uscc(clean["uscc"]):
            errors["uscc"] = ["统一社会信用代码无效，请核对 18 位代码（含校验位）"]
    if clean.get("unit_type") is not None:
        try:
            clean["unit_type"] = UnitType(str(clean["unit_type"]))
        except ValueError:
            errors["unit_type"] = ["单位类型只能是 34（机关事业单位）、60（企业）或 39（其他）"]
    if clean.get("district_code") is not None:
        if level != OrgLevel.DISTRICT:
            errors["district_code"] = ["只有区局(产业)工会设区局代码"]
        elif not re.fullmatch(r"\d{3}", clean["district_code"]):
            errors["district_code"] = ["区局代码为 3 位数字"]
    if errors:
        raise ValidationFailed("组织信息有误，请按提示修改", errors)
    return clean


def _unique(field: str, value, exclude_id: int | None, message: str) -> None:
    if value is None:
        return
    stmt = select(Org.id).where(getattr(Org, field) == value)
    if exclude_id:
        stmt = stmt.where(Org.id != exclude_id)
    if db.session.scalar(stmt):
        raise Conflict(message, {field: [message]})


def list_orgs(scope: Scope, *, level=None, q=None, parent_id=None, accepts_individuals=None):
    stmt = select(Org).where(scope.org_clause())
    if level:
        stmt = stmt.where(Org.level == OrgLevel(level))
    if q:
        stmt = stmt.where(Org.name.contains(q, autoescape=True))
    if parent_id:
        stmt = stmt.where(Org.parent_id == parent_id)
    if accepts_individuals is not None:
        stmt = stmt.where(Org.accepts_individuals == accepts_individuals)
    # the related enterprises of the page's orgs in one statement, not one per org
    return stmt.order_by(Org.path).options(_with_enterprises())


@cache
def _with_enterprises():
    """The loader option, built once (options are immutable; building one per list cost as
    much as the rest of the statement)."""
    return selectinload(Org.enterprises)


def get_org(scope: Scope, org_id: int) -> Org:
    return scope.get_org(org_id)


def create_org(scope: Scope, data: dict, *, ip=None) -> Org:
    parent = scope.get_org(data.pop("parent_id"))
    level = OrgLevel(data.pop("level"))
    if level not in CHILD_LEVELS[parent.level]:
        raise ValidationFailed(
            f"{parent.level.value}下不能直接设立{level.value}",
            {"level": ["组织层级不符合 市总工会→区局→二级工会→基层工会"]},
        )
    data = _clean_org_fields(data, level)
    if level == OrgLevel.GRASSROOTS and not data.get("uscc"):
        raise ValidationFailed("基层工会须填写统一社会信用代码", {"uscc": ["必填项，请填写"]})
    if level == OrgLevel.DISTRICT and not data.get("district_code"):
        raise ValidationFailed(
            "区局(产业)工会须填写 3 位区局代码", {"district_code": ["必填项，请填写"]}
        )
    _unique("name", data.get("name"), None, "已存在同名工会，请核对全称")
    _unique("uscc", data.get("uscc"), None, "该统一社会信用代码已被其他工会使用")
    _unique("district_code", data.get("district_code"), None, "该区局代码已被使用")
    org = Org(parent_id=parent.id, level=level, depth=parent.depth + 1, **data)
    db.session.add(org)
    db.session.flush()
    org.path = f"{parent.path}{org.id}/"
    audit.record(
        scope,
        "org.create",
        target_type="org",
        target_ids=[org.id],
        changes={k: [None, audit.masked(k, v)] for k, v in data.items()},
        ip=ip,
    )
    return org


def update_org(scope: Scope, org_id: int, data: dict, *, ip=None) -> Org:
    org = scope.get_org(org_id)
    if org.id == scope.org_id and "active" in data:
        raise PermissionDenied("不能停用本单位，请联系上级工会")
    data = _clean_org_fields(data, org.level)
    _unique("name", data.get("name"), org.id, "已存在同名工会，请核对全称")
    _unique("uscc", data.get("uscc"), org.id, "该统一社会信用代码已被其他工会使用")
    _unique("district_code", data.get("district_code"), org.id, "该区局代码已被使用")
    before = {k: getattr(org, k) for k in data}
    for key, value in data.items():
        setattr(org, key, value)
    audit.record(
        scope,
        "org.update",
        target_type="org",
        target_ids=[org.id],
        changes=audit.changes_between(before, data),
        ip=ip,
    )
    return org


def add_enterprise(scope: Scope, org_id: int, data: dict, *, ip=None) -> RelatedEnterprise:
    org = scope.get_org(org_id)
    if data.get("uscc"):
        data["uscc"] = normalise_uscc(data["uscc"])
        if not is_valid_uscc(data["uscc"]):
            raise ValidationFailed(
                "统一社会信用代码无效", {"uscc": ["统一社会信用代码无效，请核对"]}
            )
    enterprise = RelatedEnterprise(org_id=org.id, **data)
    db.session.add(enterprise)
    db.session.flush()
    audit.record(
        scope,
        "org.enterprise_add",
        target_type="org",
        target_ids=[org.id],
        detail={"enterprise_id": enterprise.id, "name": enterprise.name},
        ip=ip,
    )
    return enterprise


def remove_enterprise(scope: Scope, org_id: int, enterprise_id: int, *, ip=None) -> None:
    org = scope.get_org(org_id)
    enterprise = db.session.get(RelatedEnterprise, enterprise_id)
    if enterprise is None or enterprise.org_id != org.id:
        raise NotFound("未找到该关联企业")
    db.session.delete(enterprise)
    audit.record(
        scope,
        "org.enterprise_remove",
        target_type="org",
        target_ids=[org.id],
        detail={"enterprise_id": enterprise_id, "name": enterprise.name},
        ip=ip,
    )


# --- bank branches --------------------------------------------------------------------
def list_branches(scope: Scope, *, q=None, active=None):
    """Branches managed by the caller's org, its ancestors (its district) and its subtree."""
    ancestors = [int(p) for p in scope.org_path.strip("/").split("/")]
    stmt = select(BankBranch).where(
        BankBranch.org_id.in_(ancestors) | scope.owned_by(BankBranch.org_id)
    )
    if q:
        stmt = stmt.where(BankBranch.name.contains(q, autoescape=True) | (BankBranch.code == q))
    if active is not None:
        stmt = stmt.where(BankBranch.active == active)
    return stmt.order_by(BankBranch.code)


def branch_codes_for(org: Org) -> list[tuple[str, str]]:
    """(code, name) of the active branches a union may name: those of its ancestors and itself."""
    ids = org.ancestor_ids()
    rows = db.session.execute(
        select(BankBranch.code, BankBranch.name)
        .where(BankBranch.org_id.in_(ids), BankBranch.active.is_(True))
        .order_by(BankBranch.code)
    )
    return [(code, name) for code, name in rows]


def create_branch(scope: Scope, data: dict, *, ip=None) -> BankBranch:
    org = scope.get_org(data.pop("org_id", None) or scope.org_id)
    if db.session.scalar(select(BankBranch.id).where(BankBranch.code == data["code"])):
        raise Conflict("该网点编号已存在", {"code": ["该网点编号已存在"]})
    branch = BankBranch(org_id=org.id, **data)
    db.session.add(branch)
    db.session.flush()
    audit.record(
        scope,
        "branch.create",
        target_type="bank_branch",
        target_ids=[branch.id],
        changes={k: [None, v] for k, v in data.items()},
        ip=ip,
    )
    return branch


def update_branch(scope: Scope, branch_id: int, data: dict, *, ip=None) -> BankBranch:
    branch = scope.get(BankBranch, branch_id, message="未找到该网点，或不在您的管辖范围内")
    before = {k: getattr(branch, k) for k in data}
    for key, value in data.items():
        setattr(branch, key, value)
    audit.record(
        scope,
        "branch.update",
        target_type="bank_branch",
        target_ids=[branch.id],
        changes=audit.changes_between(before, data),
        ip=ip,
    )
    return branch
