"""Answers that say what happened: the loser of two simultaneous 提交办卡 is told which batch
took the members; a member held by a rejected revocation is waiting for the bank; the
reviewer's reason comes back as typed."""

from __future__ import annotations

import sqlite3
import threading
import time

from sqlalchemy import text

from tests.cards.helpers import CARDS, cast_world, login
from tests.conftest import PG_URL
from unioncard.cards.models import CardBatch, CardStatus, MemberCard, Verification
from unioncard.extensions import db
from unioncard.members.models import Member

READY = ("ok", "gbk_only", "expired")


def _ready_members(ids) -> None:
    for key in READY:
        member = db.session.get(Member, ids[key])
        db.session.add(
            MemberCard(
                member_id=member.id,
                org_id=member.org_id,
                status=CardStatus.PENDING,
                verification=Verification.PASSED,
            )
        )
    db.session.commit()


class _WriterHeld:
    """Hold the pending rows (PostgreSQL: their row locks; SQLite: the database's write lock)
    until both clerks are waiting on it, then let go: the two submissions truly overlap."""

    def __init__(self, org_id: int):
        self.org_id = org_id

    def __enter__(self):
        if PG_URL:
            self.conn = db.engine.connect()
            self.conn.execute(
                text("SELECT id FROM member_card WHERE org_id = :o FOR UPDATE"), {"o": self.org_id}
            )
        else:
            self.conn = sqlite3.connect(db.engine.url.database, isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")
        return self

    def wait_for_waiters(self, n: int) -> None:
        if not PG_URL:  # SQLite cannot show who waits: give both time to reach their write
            time.sleep(1.5)
            return
        deadline = time.monotonic() + 20
        with db.engine.connect() as probe:
            while time.monotonic() < deadline:
                waiting = probe.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                ).scalar()
                if waiting >= n:
                    return
                probe.rollback()
                time.sleep(0.05)
        raise AssertionError("the two submissions never reached the row locks")

    def release(self) -> None:
        if self.conn is None:
            return
        if PG_URL:
            self.conn.rollback()
        else:
            self.conn.execute("ROLLBACK")
        self.conn.close()
        self.conn = None

    def __exit__(self, *exc):
        self.release()


def test_the_second_of_two_simultaneous_submissions_names_the_batch(client, ctx):
    world, ids = cast_world()
    _ready_members(ids)
    org = world.org("gA1")
    headers = login(client, "ga1_operator")
    body = {"channel": "普通", "branch_code": f"B{world.org('dA').id:04d}"}
    ctx.config["TASK_MODE"] = "off"  # the bank is not the point here
    answers = []
    barrier = threading.Barrier(2)

    def clerk():
        own = ctx.test_client()
        barrier.wait()
        r = own.post(f"{CARDS}/batches", headers=headers, json=body)
        answers.append((r.status_code, r.get_json()))

    threads = [threading.Thread(target=clerk) for _ in range(2)]
    try:
        with _WriterHeld(org.id) as held:
            for t in threads:
                t.start()
            held.wait_for_waiters(2)
            held.release()
            for t in threads:
                t.join(60)
    finally:
        ctx.config["TASK_MODE"] = "eager"
    assert sorted(status for status, _ in answers) == [201, 409], answers
    made = next(body for status, body in answers if status == 201)
    refused = next(body for status, body in answers if status == 409)
    assert refused["message"].startswith(
        f"普通办卡通道的待办会员刚刚已作为批次 {made['batch_no']} 提交（gA1operator，"
    ), refused
    assert "请勿重复提交" in refused["message"]
    db.session.rollback()
    assert db.session.query(CardBatch).count() == 1
    assert {c.batch_id for c in db.session.query(MemberCard)} == {made["id"]}

    # later, once the list is empty, the same clerk is told where the members went
    again = client.post(f"{CARDS}/batches", headers=headers, json=body)
    assert again.status_code == 409 and made["batch_no"] in again.get_json()["message"]


def test_a_member_held_by_a_rejected_revocation_is_waiting_for_the_bank(client, ctx):
    world, ids = cast_world()
    _ready_members(ids)
    clerk = login(client, "ga1_operator")
    ctx.config["TASK_MODE"] = "off"  # the batch stays with no bank feedback
    try:
        batch = client.post(
            f"{CARDS}/batches",
            headers=clerk,
            json={"channel": "普通", "branch_code": f"B{world.org('dA').id:04d}"},
        ).get_json()
    finally:
        ctx.config["TASK_MODE"] = "eager"
    again = client.post(f"{CARDS}/pending", headers=clerk, json={"member_ids": [ids["ok"]]})
    assert again.get_json()["refused"][0]["reason"] == (
        f"已随批次 {batch['batch_no']} 提交办卡，正在等待银行的办卡结果，无需添加"
    )
    r = client.post(
        f"{CARDS}/batches/{batch['id']}/revocation",
        headers=clerk,
        json={"applicant_name": "王经办", "applicant_phone": "13912345678"},
    )
    assert r.status_code == 201, r.get_json()
    revocation = r.get_json()["id"]
    reviewing = client.post(f"{CARDS}/pending", headers=clerk, json={"member_ids": [ids["ok"]]})
    assert "正在申请撤销（审核中）" in reviewing.get_json()["refused"][0]["reason"]

    district = login(client, "da_reviewer")
    reason = "批次无误，照常办理（请勿重复申请）！"
    r = client.post(
        f"{CARDS}/revocations/{revocation}/reject", headers=district, json={"reason": reason}
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["decision_reason"] == reason  # full-width punctuation kept
    listed = client.get(f"{CARDS}/revocations", headers=clerk).get_json()
    assert [x["decision_reason"] for x in listed] == [reason]

    locked = client.post(f"{CARDS}/pending", headers=clerk, json={"member_ids": [ids["ok"]]})
    assert locked.get_json()["added"] == 0
    assert locked.get_json()["refused"] == [
        {
            "member_id": ids["ok"],
            "name": "王芳",
            "reason": f"所在批次 {batch['batch_no']} 的撤销申请未通过，批次照常办理，"
            "该会员正在等待银行的办卡结果，无需添加",
        }
    ]
