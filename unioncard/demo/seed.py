"""Demo data for `make run`: an org tree, accounts of every role, branches, members.

Idempotent: a second run finds the city union and changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select

from ..accounts.models import Role, StaffAccount
from ..accounts.passwords import hash_password
from ..extensions import db
from ..members import numbers
from ..members.models import Member, MemberSource, MemberStatus
from ..orgs.models import BankBranch, Org, OrgLevel, RelatedEnterprise, UnitType
from ..orgs.uscc import generate_uscc
from ..security.crypto import keyring
from .hall import hall_people, seed_hall_users
from .insurance import seed_insurance
from .people import Person, make_people

CITY = "上海市总工会"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role
    org: str
    note: str


def add_org(
    name,
    level,
    parent=None,
    *,
    rng,
    district_code=None,
    unit_type=None,
    accepts_individuals=False,
    address=None,
) -> Org:
    org = Org(
        name=name,
        level=level,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
        district_code=district_code,
        uscc=generate_uscc(rng, "81"),
        unit_type=UnitType(unit_type) if unit_type else None,
        accepts_individuals=accepts_individuals,
        address=address,
    )
    db.session.add(org)
    db.session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    return org


def add_account(username, display_name, org, role, password, *, must_change=False) -> StaffAccount:
    account = StaffAccount(
        username=username,
        display_name=display_name,
        org_id=org.id if org else None,
        role=role,
        password_hash=hash_password(password),
        must_change_password=must_change,
    )
    db.session.add(account)
    return account


def add_members(
    org: Org,
    people: list[Person],
    *,
    status=MemberStatus.ACTIVE,
    source=MemberSource.ENTERPRISE,
    import_job_id=None,
) -> int:
    """Bulk-insert members (encrypted, blind-indexed, numbered when active)."""
    if not people:
        return 0
    ring = keyring()
    nos = (
        numbers.allocate(numbers.district_code_of(org), len(people))
        if status == MemberStatus.ACTIVE
        else [None] * len(people)
    )
    rows = [
        {
            "org_id": org.id,
            "member_no": no,
            "name": p.name,
            "id_type": p.id_type,
            "id_number": p.id_number,
            "id_number_bidx": ring.blind_index("id_number", p.id_number),
            "id_expiry": p.id_expiry,
            "country": p.country,
            "gender": p.gender,
            "birth_date": p.birth_date,
            "mobile": p.mobile,
            "mobile_bidx": ring.blind_index("mobile", p.mobile),
            "work_address": p.work_address,
            "join_date": p.join_date,
            "source": source,
            "status": status,
            "wants_card": True,
            "import_job_id": import_job_id,
        }
        for p, no in zip(people, nos, strict=True)
    ]
    db.session.execute(insert(Member), rows)
    return len(rows)


def seed_demo(password: str, *, today: date, members: int = 300) -> list[DemoLogin] | None:
    """Create the demo world; returns the logins, or None when it already exists."""
    if db.session.scalar(select(Org.id).where(Org.name == CITY)):
        return None
    rng = random.Random(2026)
    city = add_org(CITY, OrgLevel.CITY, rng=rng, unit_type="34", address="上海市西藏中路120号")
    yangpu = add_org(
        "上海市杨浦区总工会",
        OrgLevel.DISTRICT,
        city,
        rng=rng,
        district_code="007",
        unit_type="34",
        address="上海市杨浦区江浦路1000号",
    )
    changning = add_org(
        "上海市长宁区总工会",
        OrgLevel.DISTRICT,
        city,
        rng=rng,
        district_code="005",
        unit_type="34",
        address="上海市长宁区愚园路1320号",
    )
    park = add_org(
        "上海市杨浦区科技园区工会联合会",
        OrgLevel.SECONDARY,
        yangpu,
        rng=rng,
        unit_type="39",
        address="上海市杨浦区国定路335号",
    )
    jianming = add_org(
        "上海建明信息科技有限公司工会委员会",
        OrgLevel.GRASSROOTS,
        park,
        rng=rng,
        unit_type="60",
        address="上海市杨浦区黄兴路1599号",
    )
    guohua = add_org(
        "上海国华广场物业管理有限公司工会委员会",
        OrgLevel.GRASSROOTS,
        park,
        rng=rng,
        unit_type="60",
        address="上海市杨浦区闸殷路1555号",
    )
    flexible = add_org(
        "上海市杨浦区新就业形态劳动者工会联合会",
        OrgLevel.GRASSROOTS,
        yangpu,
        rng=rng,
        unit_type="39",
        accepts_individuals=True,
        address="上海市杨浦区控江路1555号",
    )
    gubei = add_org(
        "上海古北物流有限公司工会委员会",
        OrgLevel.GRASSROOTS,
        changning,
        rng=rng,
        unit_type="60",
        address="上海市长宁区古北路555弄8号",
    )
    hospital = add_org(
        "上海市长宁区天山社区卫生服务中心工会",
        OrgLevel.GRASSROOTS,
        changning,
        rng=rng,
        unit_type="34",
        accepts_individuals=True,
        address="上海市长宁区天山路1500号",
    )
    db.session.add(
        RelatedEnterprise(
            org_id=jianming.id,
            name="上海建明信息科技有限公司",
            uscc=generate_uscc(rng, "91"),
            address="上海市杨浦区黄兴路1599号",
        )
    )
    db.session.add(
        RelatedEnterprise(
            org_id=gubei.id,
            name="上海古北物流有限公司",
            uscc=generate_uscc(rng, "91"),
            address="上海市长宁区古北路555弄8号",
        )
    )
    for org, code, name, address in (
        (yangpu, "10400701", "中国银行上海市杨浦支行", "上海市杨浦区黄兴路1599号"),
        (yangpu, "10400702", "中国银行上海市国华广场支行", "上海市杨浦区闸殷路1555号国华广场102室"),
        (changning, "10400501", "中国银行上海市古北支行", "上海市长宁区古北路555弄8号"),
        (changning, "10400502", "中国银行上海市天山路支行", "上海市长宁区天山路789号"),
    ):
        db.session.add(BankBranch(org_id=org.id, code=code, name=name, address=address))

    logins = [
        DemoLogin("city_admin", Role.ADMIN, city.name, "市总管理员：组织与账号"),
        DemoLogin("center", Role.CENTER, city.name, "职保中心"),
        DemoLogin("yp_admin", Role.ADMIN, yangpu.name, "区局管理员"),
        DemoLogin("yp_reviewer", Role.REVIEWER, yangpu.name, "区局审核人"),
        DemoLogin("park_reviewer", Role.REVIEWER, park.name, "二级工会审核人"),
        DemoLogin("jm_operator", Role.OPERATOR, jianming.name, "基层工会经办人（导入会员）"),
        DemoLogin("gh_operator", Role.OPERATOR, guohua.name, "基层工会经办人"),
        DemoLogin("flex_operator", Role.OPERATOR, flexible.name, "接收个人入会的工会"),
        DemoLogin("cn_admin", Role.ADMIN, changning.name, "长宁区局管理员"),
        DemoLogin("gb_operator", Role.OPERATOR, gubei.name, "长宁基层工会经办人"),
    ]
    orgs = {
        o.name: o
        for o in (city, yangpu, changning, park, jianming, guohua, flexible, gubei, hospital)
    }
    names = {
        "city_admin": "市总管理员",
        "center": "职保中心经办",
        "yp_admin": "杨浦区管理员",
        "yp_reviewer": "杨浦区审核",
        "park_reviewer": "园区审核",
        "jm_operator": "建明工会经办",
        "gh_operator": "国华工会经办",
        "flex_operator": "新就业工会经办",
        "cn_admin": "长宁区管理员",
        "gb_operator": "古北工会经办",
    }
    for login in logins:
        add_account(login.username, names[login.username], orgs[login.org], login.role, password)

    people = make_people(members, seed=2026, today=today)
    shares = [(jianming, 0.35), (guohua, 0.2), (flexible, 0.15), (gubei, 0.2), (hospital, 0.1)]
    start = 0
    for org, share in shares:
        count = int(members * share)
        batch = people[start : start + count]
        start += count
        source = MemberSource.FLEXIBLE if org.accepts_individuals else MemberSource.ENTERPRISE
        active, waiting = batch[:-3], batch[-3:]
        add_members(org, active, source=source)
        add_members(org, waiting, status=MemberStatus.UNREVIEWED, source=source)
    add_members(jianming, card_cases(today))
    hall = hall_people(today)  # the service hall's demo WeChat users (unioncard/demo/hall.py)
    add_members(flexible, hall, source=MemberSource.FLEXIBLE)
    db.session.flush()
    seed_hall_users([_member_of(p) for p in hall])
    seed_insurance(city, [jianming, guohua, gubei], today)
    return logins


def _member_of(person: Person) -> Member:
    from ..security.crypto import blind_index

    bidx = blind_index("id_number", person.id_number)
    return db.session.scalar(select(Member).where(Member.id_number_bidx == bidx))


def _rid(first17: str) -> str:
    from ..members.idcard import resident_id_check_char

    return first17 + resident_id_check_char(first17)


def card_cases(today: date) -> list[Person]:
    """Members whose card applications meet each case of the sandboxes' documented rules
    (integrations/verification/sandbox.py, integrations/bank/sandbox.py)."""

    def person(name, first17, *, expiry=date(2036, 5, 31), tail):
        gender = "男" if int(first17[16]) % 2 else "女"
        return Person(
            name,
            "身份证",
            _rid(first17),
            expiry,
            "中国",
            gender,
            date(int(first17[6:10]), int(first17[10:12]), int(first17[12:14])),
            f"1370000{tail:04d}",
            "上海市杨浦区黄兴路1599号",
            date(2021, 3, 1),
        )

    return [
        person("演示李强", "31011019880315901", tail=1),  # 人口库：姓名与号码不符
        person(
            "演示陈静", "31011019900512206", tail=2, expiry=date(today.year - 1, 1, 31)
        ),  # 证件已过期（申请信息校验）
        person("演示张伟", "31011019870704444", tail=3),  # 银行：ID_MISMATCH
        person("演示王珺", "31011019920218125", tail=4),  # GBK 可打印，银行（GB 2312）退回
        person("演示孙丽", "31011019890911914", tail=5),  # 人保状态 待确认
    ]
