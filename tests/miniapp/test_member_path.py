"""The member's path end to end, through the real wechatpy client against the WeChat
sandbox and the bank/register sandboxes: login, phone, identity, join, approval, card."""

from __future__ import annotations

import pytest

from integrations.wechat.sandbox import openid_for
from tests.cards.helpers import person
from tests.world import build_world
from unioncard.cards.models import CardBatch, CardStatus, MemberCard
from unioncard.demo.seed import add_members
from unioncard.extensions import db
from unioncard.members.models import Member
from unioncard.members.rules import ID_MESSAGES
from unioncard.selfservice.models import MemberUser

from .helpers import (
    API,
    assert_nowhere_in_database,
    bind,
    join_and_approve,
    live,
    login,
    member_login,
    rid,
    wait_until,
)


@pytest.fixture()
def world(ctx):
    return build_world(members_per_union=0)


def test_login_creates_one_user_per_openid_and_reports_binding(client, world, monkeypatch):
    with live(client.application, monkeypatch) as env:
        r = client.post(f"{API}/auth/login", json={"code": "demo-alice"})
        assert r.status_code == 200
        body = r.get_json()
        assert body["bound"] is False and body["is_member"] is False
        assert body["expires_in"] == client.application.config["MINIAPP_TOKEN_TTL"]
        again = client.post(f"{API}/auth/login", json={"code": "demo-alice"}).get_json()
        assert again["token"] != body["token"]
        assert db.session.query(MemberUser).count() == 1
        bad = client.post(f"{API}/auth/login", json={"code": "bad-code"})
        assert bad.status_code == 422
        assert "微信凭证无效" in bad.get_json()["message"]
        assert "code" in bad.get_json()["errors"]
        # every call went to the sandbox (the configured base URL), never to WeChat
        assert env.wechat.hosts and all(h.startswith("127.0.0.1:") for h in env.wechat.hosts)


def test_phone_and_identity_binding_masks_and_validates(client, world, monkeypatch):
    with live(client.application, monkeypatch):
        headers = member_login(client, "demo-bob")
        r = client.post(
            f"{API}/me/phone", json={"phone_code": "phone-13812345678"}, headers=headers
        )
        assert r.status_code == 200
        assert r.get_json() == {"mobile": "138****5678"}
        r = client.post(f"{API}/me/phone", json={"phone_code": "nonsense"}, headers=headers)
        assert r.status_code == 422 and "phone_code" in r.get_json()["errors"]

        bad = rid("123")[:-1] + ("0" if rid("123")[-1] != "0" else "1")
        r = client.post(
            f"{API}/me/identity",
            json={"name": "张三", "id_type": "身份证", "id_number": bad},
            headers=headers,
        )
        assert r.status_code == 422
        assert r.get_json()["errors"]["id_number"] == [ID_MESSAGES["checksum"]]
        r = client.post(
            f"{API}/me/identity",
            json={"name": "JOHN", "id_type": "护照", "id_number": "E1234567"},
            headers=headers,
        )
        assert r.status_code == 422
        assert set(r.get_json()["errors"]) == {"country", "birth_date", "gender"}

        number = rid("131")
        r = client.post(
            f"{API}/me/identity",
            json={"name": "张三", "id_type": "身份证", "id_number": number.lower()},
            headers=headers,
        )
        assert r.status_code == 200, r.get_json()
        profile = r.get_json()
        assert profile["id_number"] == number[:4] + "*" * 8 + number[-4:]
        assert profile["gender"] == "男" and profile["birth_date"] == "1988-03-15"
        assert profile["member_id"] is None
        me = client.get(f"{API}/me", headers=headers).get_json()
        assert me["bound"] is True and me["membership"] is None
        assert me["profile"]["mobile"] == "138****5678"
        again = client.post(f"{API}/auth/login", json={"code": "demo-bob"}).get_json()
        assert again["bound"] is True


def _registered(world, name="王芳", seq="123", mobile_tail=1) -> tuple[Member, object]:
    """A member of gA1 in the registry (mobile 1390000000<tail>); returns (member, person)."""
    member_person = person(name, seq, mobile_tail=mobile_tail)
    add_members(world.org("gA1"), [member_person])
    db.session.commit()
    return db.session.query(Member).filter_by(name=name).one(), member_person


def _identity(client, headers, name, id_number):
    body = {"name": name, "id_type": "身份证", "id_number": id_number}
    return client.post(f"{API}/me/identity", json=body, headers=headers)


def _phone(client, headers, mobile):
    r = client.post(f"{API}/me/phone", json={"phone_code": f"phone-{mobile}"}, headers=headers)
    assert r.status_code == 200, r.get_json()


def _user(client, code: str) -> MemberUser:
    """The WeChat user the sandbox logs in for ``code``, as stored."""
    db.session.rollback()
    openid = openid_for(code, client.application.config["WECHAT_APP_ID"])
    return db.session.query(MemberUser).filter_by(openid=openid).one()


def test_identity_before_phone_is_refused_and_nothing_is_written(client, world, monkeypatch):
    member, member_person = _registered(world)
    with live(client.application, monkeypatch):
        headers = member_login(client, "demo-early")
        for name, number in (("王芳", member_person.id_number), ("张三", rid("131"))):
            r = _identity(client, headers, name, number)
            assert r.status_code == 409, r.get_json()
            assert r.get_json()["message"] == "请先绑定手机号，再进行实名认证"
        user = db.session.query(MemberUser).one()
        assert user.member_id is None and user.id_number_bidx is None and user.name is None
        me = client.get(f"{API}/me", headers=headers).get_json()
        assert me["bound"] is False and me["membership"] is None
        assert me["profile"]["id_number"] is None
        # once the phone is bound, the same request goes through
        _phone(client, headers, member_person.mobile)
        assert _identity(client, headers, "王芳", member_person.id_number).status_code == 200
        assert db.session.query(MemberUser).one().member_id == member.id


def test_identity_links_an_existing_member_and_refuses_a_second_account(client, world, monkeypatch):
    member, member_person = _registered(world)
    assert member_person.mobile == "13900000001"
    with live(client.application, monkeypatch):
        first = member_login(client, "demo-first")
        _phone(client, first, "13900000001")
        wrong_name = _identity(client, first, "王方", member_person.id_number)
        assert wrong_name.status_code == 422 and "不一致" in wrong_name.get_json()["message"]
        profile = bind(client, first, "王芳", member_person.id_number, "13900000001")
        assert profile["member_id"] == member.id
        me = client.get(f"{API}/me", headers=first).get_json()
        assert me["membership"]["member_no"] == member.member_no
        assert me["membership"]["union"] == world.org("gA1").name
        assert me["membership"]["status"] == "正常"
        assert me["card"] is None and me["coverage"] is None

        # a second WeChat account, even with the member's own mobile, cannot take the ID
        second = member_login(client, "demo-second")
        _phone(client, second, "13900000001")
        r = _identity(client, second, "王芳", member_person.id_number)
        assert r.status_code == 409
        assert r.get_json()["message"].startswith("该证件号码已绑定其他微信账号")
        assert db.session.query(MemberUser).filter(MemberUser.member_id == member.id).count() == 1
        assert _user(client, "demo-second").id_number_bidx is None


def test_identity_with_a_different_mobile_is_refused_and_nothing_changes(
    client, world, monkeypatch
):
    member, member_person = _registered(world)
    with live(client.application, monkeypatch):
        headers = member_login(client, "demo-taker")
        _phone(client, headers, "13700009999")  # not the mobile the union registered
        r = _identity(client, headers, "王芳", member_person.id_number)
        assert r.status_code == 409, r.get_json()
        body = r.get_json()
        assert body["message"] == (
            "会员库中登记的手机号与您绑定的手机号不一致，请联系所在工会核实手机号后再试"
        )
        assert set(body["errors"]) == {"mobile"}
        user = _user(client, "demo-taker")
        assert user.member_id is None and user.id_number_bidx is None
        assert user.name is None and user.id_type is None and user.birth_date is None
        assert user.mobile == "13700009999"  # the phone binding itself stays
        me = client.get(f"{API}/me", headers=headers).get_json()
        assert me["bound"] is False and me["membership"] is None
        assert me["profile"]["id_number"] is None and me["profile"]["member_id"] is None
        # the member record is untouched and still free for its owner
        db.session.refresh(member)
        assert member.mobile == "13900000001"
        owner = member_login(client, "demo-owner")
        assert (
            bind(client, owner, "王芳", member_person.id_number, "13900000001")["member_id"]
            == member.id
        )
        # with the record linked, the earlier account stays refused (the ID is taken now)
        again = _identity(client, headers, "王芳", member_person.id_number)
        assert again.status_code == 409
        assert again.get_json()["message"].startswith("该证件号码已绑定其他微信账号")


def test_member_without_a_mobile_on_record_links(client, world, monkeypatch):
    member, member_person = _registered(world, name="赵无机", seq="125", mobile_tail=2)
    member.mobile, member.mobile_bidx = None, None
    db.session.commit()
    with live(client.application, monkeypatch):
        headers = member_login(client, "demo-nomobile")
        profile = bind(client, headers, "赵无机", member_person.id_number, "13700002222")
        assert profile["member_id"] == member.id and profile["mobile"] == "137****2222"
        me = client.get(f"{API}/me", headers=headers).get_json()
        assert me["bound"] is True and me["membership"]["member_no"] == member.member_no


def test_join_approve_gives_a_member_number(client, world, monkeypatch):
    union = world.org("gA2")
    with live(client.application, monkeypatch):
        headers = member_login(client)
        early = client.post(
            f"{API}/membership/applications",
            json={"union_id": union.id, "source": "灵活就业"},
            headers=headers,
        )
        assert early.status_code == 409 and "实名认证" in early.get_json()["message"]
        bind(client, headers, "李灵活", rid("141"), "13700000001")

        unions = client.get(f"{API}/unions?district=101", headers=headers)
        assert unions.status_code == 200
        assert [u["id"] for u in unions.get_json()] == [union.id]
        assert client.get(f"{API}/unions?district=102", headers=headers).get_json() == []
        assert "X-Pagination" in unions.headers
        not_open = client.post(
            f"{API}/membership/applications",
            json={"union_id": world.org("gA1").id, "source": "灵活就业"},
            headers=headers,
        )
        assert not_open.status_code == 404

        r = client.post(
            f"{API}/membership/applications",
            json={
                "union_id": union.id,
                "source": "企业外入会",
                "work_unit_address": "上海市杨浦区国定路1号",
            },
            headers=headers,
        )
        assert r.status_code == 201, r.get_json()
        application = r.get_json()
        assert application["status"] == "待审核" and application["union"] == union.name
        dup = client.post(
            f"{API}/membership/applications",
            json={"union_id": union.id, "source": "灵活就业"},
            headers=headers,
        )
        assert dup.status_code == 409

        # a sibling union's clerk does not see it; gA2's and the district's do
        assert (
            client.get(
                "/api/admin/v1/join-applications", headers=login(client, "ga1_operator")
            ).get_json()
            == []
        )
        listed = client.get(
            "/api/admin/v1/join-applications?status=待审核", headers=login(client, "da_reviewer")
        ).get_json()
        assert [a["id"] for a in listed] == [application["id"]]
        assert listed[0]["id_number"].count("*") == 8 and listed[0]["mobile"] == "137****0001"
        refused = client.post(
            f"/api/admin/v1/join-applications/{application['id']}/approve",
            headers=login(client, "da_reviewer"),
        )
        assert refused.status_code == 403  # member.write is needed

        staff = login(client, "ga2_operator")
        approved = client.post(
            f"/api/admin/v1/join-applications/{application['id']}/approve", headers=staff
        )
        assert approved.status_code == 200, approved.get_json()
        assert approved.get_json()["status"] == "已通过"
        member_no = approved.get_json()["member_no"]
        assert member_no and member_no.startswith("101")
        member = db.session.query(Member).filter_by(member_no=member_no).one()
        assert member.status.value == "正常" and member.source.value == "企业外入会"
        assert member.org_id == union.id and member.mobile == "13700000001"
        twice = client.post(
            f"/api/admin/v1/join-applications/{application['id']}/reject",
            json={"reason": "重复"},
            headers=staff,
        )
        assert twice.status_code == 409 and "已通过" in twice.get_json()["message"]

        current = client.get(f"{API}/membership/applications/current", headers=headers).get_json()
        assert current["status"] == "已通过" and current["member_no"] == member_no
        me = client.get(f"{API}/me", headers=headers).get_json()
        assert me["membership"]["member_no"] == member_no


def test_reject_shows_the_reason_and_allows_a_new_application(client, world, monkeypatch):
    union = world.org("gA2")
    with live(client.application, monkeypatch):
        headers = member_login(client)
        bind(client, headers, "周驳回", rid("151"), "13700000002")
        app_id = client.post(
            f"{API}/membership/applications",
            json={"union_id": union.id, "source": "灵活就业"},
            headers=headers,
        ).get_json()["id"]
        staff = login(client, "ga2_operator")
        no_reason = client.post(
            f"/api/admin/v1/join-applications/{app_id}/reject", json={"reason": "  "}, headers=staff
        )
        assert no_reason.status_code == 422
        r = client.post(
            f"/api/admin/v1/join-applications/{app_id}/reject",
            json={"reason": "请提供灵活就业证明"},
            headers=staff,
        )
        assert r.status_code == 200 and r.get_json()["status"] == "已驳回"
        current = client.get(f"{API}/membership/applications/current", headers=headers).get_json()
        assert current["reason"] == "请提供灵活就业证明"
        again = client.post(
            f"{API}/membership/applications",
            json={"union_id": union.id, "source": "灵活就业"},
            headers=headers,
        )
        assert again.status_code == 201
        withdrawn = client.post(
            f"{API}/membership/applications/current/withdraw", headers=headers
        ).get_json()
        assert withdrawn["status"] == "已撤回"


def _member_with_login(client, world, seq="161", name="陈办卡", mobile="13600000001"):
    headers = member_login(client)
    bind(client, headers, name, rid(seq), mobile, id_expiry="2036-05-31")
    join_and_approve(client, headers, world.org("gA2").id)
    return headers


def test_card_application_checks_bank_and_log(client, world, monkeypatch):
    with live(client.application, monkeypatch):
        headers = _member_with_login(client, world)
        branches = client.get(f"{API}/branches?district=101", headers=headers).get_json()
        codes = {b["code"] for b in branches}
        assert codes and all(set(b) == {"code", "name", "address"} for b in branches)
        branch = f"B{world.org('dA').id:04d}"
        assert branch in codes
        wrong = client.post(
            f"{API}/card/applications",
            json={
                "branch_code": f"B{world.org('dB').id:04d}",
                "mailing_address": "上海市杨浦区国定路1号",
                "id_expiry": "2036-05-31",
            },
            headers=headers,
        )
        assert wrong.status_code == 422 and "branch_code" in wrong.get_json()["errors"]

        r = client.post(
            f"{API}/card/applications",
            json={
                "branch_code": branch,
                "mailing_address": "上海市杨浦区国定路1号",
                "id_expiry": "2036-05-31",
            },
            headers=headers,
        )
        assert r.status_code == 201, r.get_json()
        assert r.get_json()["channel"] == "普通"

        def issued():
            card = db.session.query(MemberCard).one()
            return card.status in (CardStatus.ISSUED, CardStatus.PRODUCED, CardStatus.ACTIVATED)

        wait_until(issued, message="the bank never answered")
        view = client.get(f"{API}/card/application", headers=headers).get_json()
        assert view["status"] == "已提交银行" and view["verification"] == "已通过"
        assert view["card_no"].startswith("6231") and "********" in view["card_no"]
        actions = [e["action"] for e in view["log"]]
        assert actions[:4] == ["加入待办", "提交系统校验", "系统校验", "提交办卡"]
        assert "银行办卡成功" in actions
        batch = db.session.query(CardBatch).one()
        assert batch.total == 1 and view["batch_no"] == batch.batch_no
        late = client.post(f"{API}/card/application/cancel", headers=headers)
        assert late.status_code == 409
        me = client.get(f"{API}/me", headers=headers).get_json()
        assert me["card"]["status"] in ("已办卡", "已制卡", "已送达单位", "已激活")
        assert me["card"]["individual"] is True
        card_no = db.session.query(MemberCard).one().card_no
        assert card_no.isdigit() and len(card_no) >= 16
    # PIPL: the ID number, the mobile and the card number are nowhere in the database in clear
    assert_nowhere_in_database([rid("161"), "13600000001", card_no])


def test_card_application_failing_checks_returns_reasons(client, world, monkeypatch):
    with live(client.application, monkeypatch):
        headers = _member_with_login(client, world, seq="902", name="李不符")  # 人口库: no match
        r = client.post(
            f"{API}/card/applications",
            json={
                "branch_code": f"B{world.org('dA').id:04d}",
                "mailing_address": "上海市杨浦区国定路1号",
                "id_expiry": "2036-05-31",
            },
            headers=headers,
        )
        assert r.status_code == 201
        view = client.get(f"{API}/card/application", headers=headers).get_json()
        assert view["status"] == "校验未通过"
        assert view["card_status"] == "未办卡"
        assert any("人口库" in reason for reason in view["verification_reasons"])
        assert db.session.query(CardBatch).count() == 0


def test_rare_name_goes_to_the_special_channel_at_once(client, world, monkeypatch):
    with live(client.application, monkeypatch):
        headers = _member_with_login(client, world, seq="171", name="𠮷田春")
        r = client.post(
            f"{API}/card/applications",
            json={
                "branch_code": f"B{world.org('dA').id:04d}",
                "mailing_address": "上海市杨浦区国定路1号",
                "id_expiry": "2036-05-31",
            },
            headers=headers,
        )
        assert r.status_code == 201, r.get_json()
        assert r.get_json()["channel"] == "特殊"
        assert r.get_json()["status"] == "已提交银行"
        assert "𠮷" in r.get_json()["channel_reason"]
