"""Demo WeChat users of the service hall (服务大厅): the people the WeChat sandbox's authorize
page offers (``integrations/wechat/people.py``). The registry member and the retired member
have used the mini-program before (openid there, unionid, phone and real name bound, linked
to their member record), so entering the hall as them finds the same account by unionid;
the new person and the one without unionid have nothing yet. The registry people are
flexible workers (灵活就业) of the union that takes individuals: the hall is their way in."""

from __future__ import annotations

from datetime import date

from flask import current_app

from integrations.wechat.people import openid_for, unionid_for

from ..extensions import db
from ..security.crypto import blind_index
from ..selfservice.models import Channel, MemberUser
from .people import Person

REGISTERED = "demo-hall-member"
RETIRED = "demo-hall-retired"


def hall_people(today: date) -> list[Person]:
    """The two registry members behind the demo's WeChat users (the retired one is past 60
    by the social-security sandbox's rule: a man retires on his 60th birthday)."""
    from .seed import _rid

    def person(name, first17, gender, birth, tail):
        return Person(name, "身份证", _rid(first17), date(2036, 5, 31), "中国", gender, birth,
                      f"1370001{tail:04d}", "上海市杨浦区黄兴路1599号", date(2020, 6, 1))  # fmt: skip

    return [
        person("演示周会员", "31011019910305201", "女", date(1991, 3, 5), 1),
        person("演示吴退休", "31011019600101403", "男", date(1960, 1, 1), 2),
    ]


def seed_hall_users(members: list) -> None:
    """MemberUsers of the mini-program for the registry people, bound and linked."""
    app_id = current_app.config["WECHAT_APP_ID"]
    for person, member in zip((REGISTERED, RETIRED), members, strict=True):
        db.session.add(
            MemberUser(
                openid=openid_for(person, app_id),
                unionid=unionid_for(person),
                channel=Channel.MINIAPP,
                token_version=0,
                mobile=member.mobile,
                mobile_bidx=blind_index("mobile", member.mobile),
                member_id=member.id,
                name=member.name,
                id_type=member.id_type,
                id_number=member.id_number,
                id_number_bidx=blind_index("id_number", member.id_number),
                id_expiry=member.id_expiry,
                country=member.country,
                gender=member.gender,
                birth_date=member.birth_date,
            )
        )
    db.session.flush()
