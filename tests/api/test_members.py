"""The member registry: masked answers, validation messages, edits, status, reveal, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.world import build_world, login, member_of
from unioncard.extensions import db
from unioncard.members.idcard import resident_id_check_char

MEMBERS = "/api/admin/v1/members"


def resident_id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


@pytest.fixture()
def world(ctx):
    return build_world()


@pytest.fixture()
def operator(client, world):
    return login(client, "ga1_operator")


def new_member(client, headers, **over):
    body = {
        "name": "𠮷田春",
        "id_number": resident_id("31010419900307123"),
        "mobile": "13912345678",
        "work_address": "上海市杨浦区黄兴路1599号",
    } | over
    return client.post(MEMBERS, headers=headers, json=body)


def test_create_masks_numbers_and_assigns_member_number(client, operator, world):
    r = new_member(client, operator)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["name"] == "𠮷田春"  # stored as given, outside the BMP
    assert body["id_number"] == body["id_number"][:4] + "********" + body["id_number"][-4:]
    assert body["mobile"] == "139****5678"
    assert body["member_no"].startswith("101") and len(body["member_no"]) == 10
    assert body["gender"] == "男" and body["birth_date"] == "1990-03-07"  # 17th digit 3: odd
    assert body["status"] == "正常"


def test_id_ending_in_x_is_masked_keeping_the_x(client, operator):
    number = resident_id("11010519491231002")
    assert number.endswith("X")
    body = new_member(client, operator, id_number=number.lower()).get_json()
    assert body["id_number"] == "1101********002X"


def test_bad_id_gets_the_seed_message(client, operator):
    r = new_member(client, operator, id_number="31010419900307123O")
    assert r.status_code == 422
    assert r.get_json()["errors"]["id_number"] == ['身份证号码中含有字母"O"，请将其改为数字"0"！']
    r = new_member(client, operator, id_number="3101041990030712")
    assert r.get_json()["errors"]["id_number"] == [
        "身份证号码格式错误，请填写18位正确的身份证号码！"
    ]


def test_foreign_id_needs_country_gender_and_birth(client, operator):
    r = new_member(client, operator, id_type="护照", id_number="E12345678")
    errors = r.get_json()["errors"]
    assert r.status_code == 422
    assert errors["country"] == ["证件号码无效或者为非居民身份证时，国家/地区必填！"]
    assert errors["birth_date"] == ["证件号码无效或者为非居民身份证时，出生日期必填！"]
    ok = new_member(
        client,
        operator,
        id_type="护照",
        id_number="E12345678",
        country="美国",
        gender="男",
        birth_date="1985-05-01",
    )
    assert ok.status_code == 201, ok.get_json()
    assert ok.get_json()["id_number"] == "E********8" or ok.get_json()["id_number"].startswith("E")


def test_duplicate_id_and_mobile_are_refused(client, operator, world):
    assert new_member(client, operator).status_code == 201
    again = new_member(client, operator, mobile="13700000000")
    assert again.status_code == 409
    assert again.get_json()["message"] == "该证件号码在【测试甲一公司工会委员会】中已存在！"
    other = new_member(client, operator, id_number=resident_id("31010419900307124"))
    assert other.status_code == 409
    assert "手机号码" in other.get_json()["message"]
    # a union in another district is not named to the caller
    sibling = login(client, "gb1_operator")
    r = new_member(client, sibling, mobile="13600000000")
    assert r.get_json()["message"] == "该会员身份证已存在于其他工会"


def test_list_filters_and_pagination(client, operator, world):
    r = client.get(f"{MEMBERS}?page=1&page_size=2", headers=operator)
    assert r.status_code == 200
    assert len(r.get_json()) == 2
    pagination = r.headers["X-Pagination"]
    assert '"total": 3' in pagination
    person = world.people[0]
    # personal numbers are searched in a POST body, never in the URL (access logs)
    found = client.post(
        f"{MEMBERS}/search", headers=operator, json={"id_number": person.id_number}
    ).get_json()
    assert [m["name"] for m in found] == [person.name]
    by_mobile = client.post(
        f"{MEMBERS}/search", headers=operator, json={"mobile": person.mobile}
    ).get_json()
    assert len(by_mobile) == 1
    assert client.get(f"{MEMBERS}?page_size=101", headers=operator).status_code == 422


@pytest.mark.parametrize("key", ["id_number", "id_no", "mobile"])
def test_personal_numbers_in_the_url_are_refused(client, operator, world, key):
    person = world.people[0]
    value = person.mobile if key == "mobile" else person.id_number
    r = client.get(MEMBERS, headers=operator, query_string={key: value, "name": person.name})
    assert r.status_code == 400
    body = r.get_json()
    assert "POST /api/admin/v1/members/search" in body["message"]
    assert list(body["errors"]) == [key]
    assert value not in r.get_data(as_text=True)


def test_search_answers_and_pages_like_the_list(client, operator, world):
    listed = client.get(f"{MEMBERS}?page=2&page_size=2&gender=男", headers=operator)
    searched = client.post(
        f"{MEMBERS}/search?page=2&page_size=2", headers=operator, json={"gender": "男"}
    )
    assert searched.status_code == 200
    assert searched.get_json() == listed.get_json()
    assert searched.headers["X-Pagination"] == listed.headers["X-Pagination"]
    everyone = client.get(MEMBERS, headers=operator).get_json()
    person = world.people[0]
    both = client.post(
        f"{MEMBERS}/search",
        headers=operator,
        json={"id_number": person.id_number, "mobile": person.mobile, "name": person.name},
    ).get_json()
    assert [m["id"] for m in both] == [m["id"] for m in everyone if m["name"] == person.name]
    assert person.id_number not in str(both)  # answers stay masked
    other = world.people[1]
    assert (
        client.post(
            f"{MEMBERS}/search",
            headers=operator,
            json={"id_number": person.id_number, "mobile": other.mobile},
        ).get_json()
        == []
    )
    bad = client.post(f"{MEMBERS}/search", headers=operator, json={"id_number": ""})
    assert bad.status_code == 422 and "id_number" in bad.get_json()["errors"]["json"]


def test_edit_is_validated_and_audited_with_masked_values(client, operator, world):
    member = member_of(world.org("gA1"))
    r = client.patch(f"{MEMBERS}/{member.id}", headers=operator, json={"mobile": "13555556666"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["mobile"] == "135****6666"
    audit = client.get(
        f"/api/admin/v1/audit?action=member.update&target_id={member.id}", headers=operator
    ).get_json()
    assert len(audit) == 1
    before, after = audit[0]["changes"]["mobile"]
    assert after == "135****6666" and before.count("*") == 4
    bad = client.patch(f"{MEMBERS}/{member.id}", headers=operator, json={"mobile": "12345"})
    assert bad.status_code == 422


def test_status_change_needs_reason_and_follows_the_machine(client, operator, world):
    member = member_of(world.org("gA1"))
    url = f"{MEMBERS}/{member.id}/status"
    assert client.post(url, headers=operator, json={"status": "退休"}).status_code == 422
    r = client.post(url, headers=operator, json={"status": "退休", "reason": "2026年10月退休"})
    assert r.status_code == 200 and r.get_json()["status"] == "退休"
    again = client.post(url, headers=operator, json={"status": "退休", "reason": "重复"})
    assert again.status_code == 409
    assert "无需变更" in again.get_json()["message"]
    history = client.get(f"{MEMBERS}/{member.id}/status-history", headers=operator).get_json()
    assert history[0]["from_status"] == "正常" and history[0]["to_status"] == "退休"


def test_reveal_is_authorised_and_audited(client, operator, world):
    member = member_of(world.org("gA1"))
    person = world.people[0]
    url = f"{MEMBERS}/{member.id}/reveal"
    assert client.post(url, headers=operator, json={"fields": ["id_number"]}).status_code == 422
    for reason in ("\u0000", "\u0000\u0000\u0000", " \u200b看 ", "\t\n", "\u3000", "看"):
        r = client.post(url, headers=operator, json={"fields": ["mobile"], "reason": reason})
        assert r.status_code == 422, reason
        errors = r.get_json()["errors"]
        assert "reason" in errors or "reason" in errors.get("json", {}), errors
    one = client.post(url, headers=operator, json={"fields": ["mobile"], "reason": " 看\u200b "})
    assert one.get_json()["errors"]["reason"] == [
        "请填写查看原因，至少 2 个文字（将记录在审计日志中）"
    ]
    r = client.post(
        url,
        headers=operator,
        json={"fields": ["id_number", "mobile"], "reason": "会员本人来电核对"},
    )
    assert r.status_code == 200
    assert r.get_json()["id_number"] == person.id_number
    assert r.get_json()["mobile"] == person.mobile
    audit = client.get("/api/admin/v1/audit?action=member.reveal", headers=operator).get_json()
    assert audit[0]["detail"] == {"fields": ["id_number", "mobile"], "reason": "会员本人来电核对"}
    reviewer = login(client, "ga1_reviewer")
    assert (
        client.post(url, headers=reviewer, json={"fields": ["mobile"], "reason": "x"}).status_code
        == 403
    )


def test_database_holds_no_plaintext_id_or_mobile(client, operator, world):
    new_member(client, operator)
    raw = db.session.execute(text("SELECT id_number, mobile, id_number_bidx FROM member")).all()
    assert raw
    plain = {p.id_number for p in world.people} | {p.mobile for p in world.people}
    plain |= {resident_id("31010419900307123"), "13912345678"}
    for id_number, mobile, bidx in raw:
        assert id_number not in plain and mobile not in plain
        assert id_number.split(":")[0] == "dev1"
        assert len(bidx) == 32
    dump = " ".join(
        str(v) for row in db.session.execute(text("SELECT * FROM member")).all() for v in row
    )
    dump += " ".join(
        str(v) for row in db.session.execute(text("SELECT * FROM audit_record")).all() for v in row
    )
    for value in plain:
        assert value not in dump


def test_audit_trail_cannot_be_changed(client, operator, world):
    new_member(client, operator)
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("UPDATE audit_record SET action = 'x'"))
    db.session.rollback()
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("DELETE FROM audit_record"))
    db.session.rollback()


def test_upper_union_sees_subtree_audit_only(client, operator, world):
    new_member(client, operator)
    district = login(client, "da_reviewer")
    rows = client.get("/api/admin/v1/audit?action=member.create", headers=district).get_json()
    assert len(rows) == 1 and rows[0]["actor_name"] == "gA1operator"
    other = login(client, "db_reviewer")
    assert client.get("/api/admin/v1/audit?action=member.create", headers=other).get_json() == []
