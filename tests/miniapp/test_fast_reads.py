"""The hot reads' fast paths give the slow paths' answers.

* ``unioncard.fastread``: the token's user, GET /me's overview and GET /card/application's
  rows equal ``session.execute`` of the same statements, and the entities equal what the
  ORM loads; they are persistent in the session (a change is flushed, so refused in a
  read-only request); a driver error is SQLAlchemy's; no ORM statement runs for the two
  reads (each ran two before).
* ``unioncard.fastdump``: the compiled dump is the schema's ``dump``, and the two routes
  answer byte for byte what flask-smorest's ``@blp.response`` would have.
* no cookie session: nothing is ever set or sent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from flask import jsonify, session
from sqlalchemy import column, event, inspect, select, table
from sqlalchemy.exc import DBAPIError

from miniapp_api.schemas import MiniCardApplicationOut, MiniJoinOut, MiniMeOut
from tests.world import build_world, member_of
from unioncard.cards.models import (
    BatchStatus,
    CardBatch,
    CardLogEntry,
    CardStatus,
    Channel,
    MemberCard,
    Verification,
)
from unioncard.extensions import db
from unioncard.fastdump import dumper
from unioncard.fastread import Read, entities
from unioncard.selfservice import accounts, cards, profile, tokens
from unioncard.selfservice.models import (
    CardApplication,
    CardApplicationStatus,
    JoinSource,
    JoinStatus,
    MemberUser,
)

from .helpers import API

CARD_NO = "6217000000001234567"


@pytest.fixture()
def member(ctx):
    """A bound member with a card (number on record), its batch, a log and an application;
    returns (Authorization header, user id). The session is left empty, as a request's."""
    world = build_world(members_per_union=1)
    union = world.org("gA1")
    person = member_of(union)
    user = MemberUser(openid="fast-1", member_id=person.id, name=person.name,
                      id_type=person.id_type, id_number=person.id_number,
                      id_number_bidx=person.id_number_bidx, mobile=person.mobile,
                      mobile_bidx=person.mobile_bidx, token_version=0,
                      id_expiry=date(2031, 5, 1), birth_date=date(1990, 1, 2))  # fmt: skip
    batch = CardBatch(batch_no="CB-FAST", org_id=union.id, channel=Channel.NORMAL,
                      status=BatchStatus.QUEUED, branch_code="31001", branch_name="中国银行杨浦支行",
                      branch_address="上海市杨浦区", total=1)  # fmt: skip
    db.session.add_all([user, batch])
    db.session.flush()
    db.session.add(MemberCard(member_id=person.id, org_id=union.id, status=CardStatus.IN_PROGRESS,
                              channel=Channel.NORMAL, verification=Verification.PASSED,
                              batch_id=batch.id, individual=True, card_no=CARD_NO,
                              verification_reasons=["姓名含生僻字"]))  # fmt: skip
    for action, to_status in (
        ("加入待办", "待办中"),
        ("提交系统校验", None),
        ("提交办卡", "办理中"),
    ):
        db.session.add(CardLogEntry(member_id=person.id, actor="系统", action=action,
                                    to_status=to_status, detail="明细"))  # fmt: skip
    db.session.add(CardApplication(user_id=user.id, member_id=person.id, org_id=union.id,
                                   status=CardApplicationStatus.SUBMITTED, branch_code="31001",
                                   branch_name="中国银行杨浦支行", mailing_address="上海市杨浦区国定路1号",
                                   id_expiry=date(2036, 1, 1), batch_id=batch.id))  # fmt: skip
    db.session.commit()
    token, _ = tokens.issue(user.id, 0)
    user_id = user.id
    db.session.remove()  # a request starts from an empty session: the fast path runs
    return {"Authorization": f"Bearer {token}"}, user_id


def _orm_rows(statement, params):
    return [tuple(row) for row in db.session.execute(statement, params)]


def test_fast_reads_return_the_orm_statements_rows(member):
    _, user_id = member
    user = db.session.get(MemberUser, user_id)
    reads = [
        (accounts._USER, {"user_id": user_id}),
        (profile._OVERVIEW, {"member_id": user.member_id, "year": 2026}),
        (cards._CURRENT, {"user_id": user_id}),
        (cards._LOG, {"member_id": user.member_id}),
    ]
    for read, params in reads:
        expected = _orm_rows(read.statement, params)
        assert expected, read.statement
        assert [tuple(row) for row in read.all(params)] == expected
        assert tuple(read.first(params)) == expected[0]
    assert profile._OVERVIEW.first({"member_id": -1, "year": 2026}) is None
    row = profile._OVERVIEW.first({"member_id": user.member_id, "year": 2026})
    assert row.union and row.status.value == "正常"  # named like the ORM's rows


def _values(obj) -> dict:
    return {attr.key: getattr(obj, attr.key) for attr in inspect(type(obj)).column_attrs}


def test_fast_entities_equal_the_orm_ones_and_are_persistent(member):
    _, user_id = member
    user = accounts._user(user_id)
    row = cards._CURRENT.first({"user_id": user_id})
    application, card, batch = entities(row, CardApplication, MemberCard, CardBatch)
    fast = [user, application, card, batch]
    assert all(inspect(obj).persistent for obj in fast)
    assert card.card_no == CARD_NO and card.verification_reasons == ["姓名含生僻字"]
    assert application.status is CardApplicationStatus.SUBMITTED
    assert application.created_at.tzinfo is not None
    values = [_values(obj) for obj in fast]
    assert user.member.id == user.member_id  # a relationship loads lazily, as after a query
    db.session.remove()
    slow = [
        db.session.get(MemberUser, user_id),
        db.session.get(CardApplication, application.id),
        db.session.get(MemberCard, card.id),
        db.session.get(CardBatch, batch.id),
    ]
    assert values == [_values(obj) for obj in slow]
    db.session.remove()
    # a row of the session's own is answered as the ORM would: the same object
    held = db.session.get(MemberUser, user_id)
    assert accounts._user(user_id) is held
    assert entities(cards._CURRENT.first({"user_id": user_id}), CardApplication)[0] is (
        db.session.get(CardApplication, application.id)
    )


def test_a_fast_loaded_user_is_written_like_any_other(member):
    _, user_id = member
    user = accounts._user(user_id)
    user.name = "改名"
    db.session.commit()
    db.session.remove()
    assert db.session.get(MemberUser, user_id).name == "改名"


def test_an_outer_join_that_found_nothing_is_no_entity(member):
    _, user_id = member
    db.session.execute(MemberCard.__table__.delete())
    db.session.commit()
    row = cards._CURRENT.first({"user_id": user_id})
    application, card, batch = entities(row, CardApplication, MemberCard, CardBatch)
    assert application is not None and card is None and batch is not None


def test_a_driver_error_is_sqlalchemys(member):
    missing = Read(lambda: select(column("id")).select_from(table("no_such_table")))
    with pytest.raises(DBAPIError):
        missing.first({})
    db.session.rollback()


def test_the_hot_reads_run_no_orm_statement_and_refuse_a_write(client, member, monkeypatch):
    headers, _ = member
    orm = []
    record = orm.append  # one bound method: the same one to remove
    event.listen(db.session, "do_orm_execute", record)
    try:
        for path in ("/me", "/card/application"):
            db.session.remove()
            assert client.get(f"{API}{path}", headers=headers).status_code == 200
    finally:
        event.remove(db.session, "do_orm_execute", record)
    assert orm == []  # before: two a request (the user, then the route's first read)
    real = profile.overview

    def writes(user):
        user.name = "改名"  # on the fast-loaded user: refused, nothing written
        return real(user)

    monkeypatch.setattr(profile, "overview", writes)
    db.session.remove()
    r = client.get(f"{API}/me", headers=headers)
    assert r.status_code == 500
    db.session.rollback()
    assert db.session.scalar(select(MemberUser.name).where(MemberUser.name == "改名")) is None


def test_the_two_routes_answer_what_the_schemas_dump(app, client, member):
    headers, user_id = member
    for path, schema, build in (
        ("/me", MiniMeOut, profile.overview),
        ("/card/application", MiniCardApplicationOut, cards.current_view),
    ):
        db.session.remove()
        answer = client.get(f"{API}{path}", headers=headers)
        assert answer.status_code == 200
        db.session.remove()
        with app.test_request_context():
            expected = jsonify(schema().dump(build(db.session.get(MemberUser, user_id))))
        assert answer.data == expected.data
        assert answer.mimetype == "application/json"
    body = client.get(f"{API}/card/application", headers=headers).get_json()
    assert body["card_no"] == "6217********4567" and len(body["log"]) == 3


def _join(**changes):
    values = dict(id=7, org_id=3, org=SimpleNamespace(name="某工会"), source=JoinSource.FLEXIBLE,
                  work_unit_address=None, status=JoinStatus.PENDING, reason=None, member_id=None,
                  user=None, created_at=datetime(2026, 3, 1, 8, 0), decided_at=None)  # fmt: skip
    values.update(changes)
    return SimpleNamespace(**values)


@pytest.mark.parametrize(
    "value",
    [
        {"profile": SimpleNamespace(name="王芳", id_type="身份证", id_number="310101199001011234",
                                    id_expiry=date(2030, 1, 1), country=None, gender="女",
                                    birth_date=None, mobile="13812345678", member_id=5),
         "bound": True, "membership": {"union_id": 3, "union": "某工会", "member_no": None,
                                       "status": "正常", "source": "企业内", "join_date": None},
         "join_application": None,
         "card": {"status": CardStatus.ISSUED, "channel": Channel.NORMAL,
                  "verification": Verification.PASSED, "card_no": CARD_NO,
                  "applied_at": datetime(2026, 1, 2, 3, 4, 5), "individual": False},
         "coverage": {"year": 2026, "status": "已完成", "plan": "基本", "kind": "个人",
                      "start_date": date(2026, 1, 1), "end_date": date(2026, 12, 31),
                      "covered": True}},
        {"profile": {"name": None, "mobile": None}, "bound": False, "membership": None,
         "join_application": _join(), "card": None, "coverage": None},
        {"profile": {}, "join_application": _join(status=JoinStatus.REJECTED, reason="不符",
                                                  decided_at=datetime(2026, 3, 2, tzinfo=UTC))},
        {"card": {"status": CardStatus.NONE, "channel": None, "verification": Verification.UNCHECKED,
                  "card_no": None, "applied_at": None, "individual": True}},
        {},
    ],
    ids=["member", "applicant", "rejected", "no-card-yet", "empty"],
)  # fmt: skip
def test_the_compiled_dump_is_the_schemas(ctx, value):
    assert dumper(MiniMeOut)(value) == MiniMeOut().dump(value)


def test_the_compiled_dump_of_a_card_application_and_a_method_field(ctx):
    entry = SimpleNamespace(at=datetime(2026, 1, 1, 8, 0), actor=None, action="提交办卡",
                            from_status="待办中", to_status="办理中", detail=None)  # fmt: skip
    value = {"id": 1, "status": "已提交银行", "card_status": None, "channel": "普通",
             "verification_reasons": [], "branch_code": "31001", "card_no": CARD_NO,
             "created_at": datetime(2026, 1, 1, tzinfo=UTC), "cancelled_at": None,
             "log": [entry, {"at": None, "action": "x"}], "stages": [], "cancellable": 0}  # fmt: skip
    assert dumper(MiniCardApplicationOut)(value) == MiniCardApplicationOut().dump(value)
    assert dumper(MiniCardApplicationOut)({"log": None}) == {"log": None}
    member = SimpleNamespace(member_no="0070000001")
    joined = _join(member_id=5, user=SimpleNamespace(member=member))
    assert dumper(MiniJoinOut)(joined) == MiniJoinOut().dump(joined)
    assert dumper(MiniJoinOut)(joined)["member_no"] == "0070000001"


def test_there_is_no_cookie_session(client, member):
    headers, _ = member
    r = client.get(f"{API}/me", headers=headers)
    assert "Set-Cookie" not in r.headers and "Cookie" not in r.headers.get("Vary", "")
    with client.application.test_request_context():
        assert session.get("anything") is None
        with pytest.raises(RuntimeError):
            session["anything"] = 1


def test_a_view_is_asked_once_whether_it_is_a_coroutine(app):
    async def later():
        return "x"

    def now():
        return "y"

    assert app.ensure_sync(now) is now and app.ensure_sync(now) is now
    assert app._sync_functions[now] is now
    with pytest.raises(RuntimeError, match="async"):  # Flask's own answer, not cached
        app.ensure_sync(later)
    assert later not in app._sync_functions


def test_a_schema_with_a_dump_hook_is_dumped_by_marshmallow(ctx):
    from marshmallow import post_dump

    class Hooked(MiniCardApplicationOut):
        @post_dump
        def _mark(self, data, **kwargs):
            return {**data, "hooked": True}

    assert dumper(Hooked)({"id": 1}) == {"id": 1, "hooked": True}
