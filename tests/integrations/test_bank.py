"""BankClient against the bank sandbox over real loopback HTTP, with a receiving app that
checks the bank's signature on every callback."""

from __future__ import annotations

import socket
import threading
import time
from datetime import date, datetime, timedelta

import pytest
import requests
from flask import Flask, jsonify, request

from integrations.bank import (
    BankBadResponse,
    BankClient,
    BankRejected,
    BankRevocationRefused,
    BankUnavailable,
)
from integrations.bank.sandbox import (
    EVENTS_PATH,
    RESULTS_PATH,
    card_number,
    card_result,
    create_bank_sandbox,
)
from integrations.sandboxes import ServerThread, start_sandboxes
from integrations.signing import NonceCache, SignatureError, verify_request
from unioncard.members.idcard import resident_id_check_char

CLIENT_ID, CLIENT_SECRET = "unioncard-test", "our-secret"
BANK_ID, BANK_SECRET = "boc-test", "bank-secret"
TODAY = date(2026, 3, 1)


def resident_id(birth: str = "19840531", seq: str = "123") -> str:
    first17 = "310110" + birth + seq
    return first17 + resident_id_check_char(first17)


def member(member_no: str, name: str = "王小明", **fields) -> dict:
    base = {"member_no": member_no, "name": name, "id_type": "身份证", "id_number": resident_id(),
            "id_expiry": "2036-05-31", "gender": "男", "birth_date": "1984-05-31", "country": "中国",
            "mobile": "13812341234", "address": "上海市杨浦区国定路 335 号"}  # fmt: skip
    return {**base, **fields}


def batch(batch_no: str, members: list[dict], channel: str = "普通") -> dict:
    return {"batch_no": batch_no, "channel": channel, "branch_code": "BOC-YP-01",
            "submitted_at": "2026-03-01T10:00:00+08:00", "members": members}  # fmt: skip


def luhn_valid(number: str) -> bool:
    digits = [int(c) for c in reversed(number)]
    return (
        sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits)) % 10
        == 0
    )


def wait_until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


class Receiver:
    """Our side of the callbacks: verifies the bank's signature, records what arrived."""

    def __init__(self):
        self.received: list[tuple[str, dict]] = []
        self.refused: list[str] = []
        self.fail_first = 0
        self._lock = threading.Lock()
        self.app = Flask("receiver")
        nonces = NonceCache()

        @self.app.post(RESULTS_PATH)
        @self.app.post(EVENTS_PATH)
        def callback():
            try:
                verify_request(request.headers, request.method, request.path, request.get_data(),
                               secret_for={BANK_ID: BANK_SECRET}.get, remember_nonce=nonces)  # fmt: skip
            except SignatureError as exc:
                self.refused.append(exc.reason)
                return jsonify({"message": exc.message}), 401
            with self._lock:
                if self.fail_first:
                    self.fail_first -= 1
                    return jsonify({"message": "busy"}), 500
                self.received.append((request.path, request.get_json()))
            return jsonify({"ok": True})

    def of(self, path: str) -> list[dict]:
        return [body for p, body in self.received if p == path]


@pytest.fixture()
def receiver():
    recv = Receiver()
    with ServerThread(recv.app) as server:
        recv.url = server.url
        yield recv


@pytest.fixture()
def sandboxes(receiver):
    boxes = start_sandboxes(callback_base_url=receiver.url, client_id=CLIENT_ID,
                            client_secret=CLIENT_SECRET, bank_id=BANK_ID, bank_secret=BANK_SECRET,
                            result_delay=0.05, event_delay=0.05, today=TODAY)  # fmt: skip
    yield boxes
    boxes.stop()


@pytest.fixture()
def bank(sandboxes):
    with BankClient(sandboxes.bank_url, CLIENT_ID, CLIENT_SECRET) as client:
        yield client


EVERY_RULE = [
    member("0070000011", "𠮷祥", id_expiry="2020-01-01"),  # charset comes before expiry
    member("0070000012", "李四", id_expiry="2026-02-28"),
    member("0070000013", "张三", id_number=resident_id(seq="444")),
    member("0070000077", "赵六"),
    member("0070000099", "钱七"),
    member(
        "0070000014", "阿不都热依木·买买提", id_expiry="2026-03-01"
    ),  # expires today: still valid
    member("0070000015", "王小明", id_expiry="长期", id_type="护照", id_number="E12345678"),
]
EXPECTED = {
    "0070000011": ("NAME_CHARSET", "姓名含银行无法打印的字符"),
    "0070000012": ("ID_EXPIRED", "证件已过期"),
    "0070000013": ("ID_MISMATCH", "姓名与证件号码不符"),
    "0070000077": ("DUPLICATE_CARD", "该客户已有同类卡片"),
    "0070000099": ("OTHER", "银行系统处理失败，请联系网点"),
}


def test_every_rule_end_to_end(sandboxes, bank, receiver):
    bank.submit_batch(batch("B20260301-0001", EVERY_RULE))
    assert sandboxes.bank.wait_idle(5)

    [feedback] = receiver.of(RESULTS_PATH)
    assert feedback["batch_no"] == "B20260301-0001"
    assert datetime.fromisoformat(feedback["feedback_at"]).utcoffset() == timedelta(hours=8)
    results = {r["member_no"]: r for r in feedback["results"]}
    assert len(results) == 7
    for member_no, result in results.items():
        assert result["result_id"] == f"B20260301-0001-{member_no}"
        if member_no in EXPECTED:
            assert result["status"] == "failure"
            assert (result["reason_code"], result["reason"]) == EXPECTED[member_no]
            assert "card_no" not in result
        else:
            assert result["status"] == "success"
            card = result["card_no"]
            assert len(card) == 19 and card.startswith("6231") and card.isdigit()
            assert luhn_valid(card) and card == card_number(member_no)
    cards = {results[m]["card_no"]: m for m in ("0070000014", "0070000015")}
    assert len(cards) == 2

    rounds = receiver.of(EVENTS_PATH)
    assert [{e["type"] for e in body["events"]} for body in rounds] == [
        {"produced"},
        {"delivered"},
        {"activated"},
    ]
    for body in rounds:
        assert {e["card_no"]: e["member_no"] for e in body["events"]} == cards
        for event in body["events"]:
            assert event["event_id"] == f"{event['card_no']}-{event['type']}"
            assert datetime.fromisoformat(event["at"]).utcoffset() == timedelta(hours=8)
    assert [s for _, s in sandboxes.bank.callbacks_sent] == [200] * 4
    assert receiver.refused == []


def test_same_batch_twice_gets_one_set_of_callbacks(sandboxes, bank, receiver):
    payload = batch("B20260301-0002", EVERY_RULE[3:])
    bank.submit_batch(payload)
    bank.submit_batch(payload)
    assert sandboxes.bank.wait_idle(5)
    assert sandboxes.bank.batches["B20260301-0002"].submissions == 2
    assert len(receiver.of(RESULTS_PATH)) == 1
    assert len(receiver.of(EVENTS_PATH)) == 3


def test_outage_then_success(sandboxes, bank, receiver):
    sandboxes.bank.fail_next(1)
    payload = batch("B20260301-0003", [member("0070000021")])
    with pytest.raises(BankUnavailable):
        bank.submit_batch(payload)
    assert "B20260301-0003" not in sandboxes.bank.batches
    bank.submit_batch(payload)
    assert sandboxes.bank.wait_idle(5)
    assert len(receiver.of(RESULTS_PATH)) == 1


def test_nothing_listening_is_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        BankClient(f"http://127.0.0.1:{port}", CLIENT_ID, CLIENT_SECRET) as client,
        pytest.raises(BankUnavailable),
    ):
        client.submit_batch(batch("B1", [member("0070000021")]))


def test_unsigned_or_wrongly_signed_requests_are_refused(sandboxes):
    payload = batch("B20260301-0004", [member("0070000021")])
    answer = requests.post(sandboxes.bank_url + "/batches", json=payload, timeout=5)
    assert answer.status_code == 401 and answer.json()["errors"] == {"signature": ["missing"]}
    for client_id, secret in ((CLIENT_ID, "wrong"), ("intruder", CLIENT_SECRET)):
        with (
            BankClient(sandboxes.bank_url, client_id, secret) as client,
            pytest.raises(BankRejected) as caught,
        ):
            client.submit_batch(payload)
        assert caught.value.status == 401
    assert sandboxes.bank.batches == {}


def test_bad_shape_is_rejected(sandboxes, bank):
    payload = batch("B20260301-0005", [member("0070000021", id_expiry="2026/01/01")])
    del payload["members"][0]["mobile"]
    with pytest.raises(BankRejected) as caught:
        bank.submit_batch(payload)
    assert caught.value.status == 400
    assert "members[0].mobile" in caught.value.body and "members[0].id_expiry" in caught.value.body


def test_revoke_before_feedback(sandboxes, bank, receiver):
    sandboxes.bank.pause_callbacks()
    bank.submit_batch(batch("B20260301-0006", [member("0070000021")]))
    assert bank.revoke_batch("B20260301-0006") == {
        "batch_no": "B20260301-0006",
        "status": "revoked",
    }
    assert bank.revoke_batch("B20260301-0006")["status"] == "already_revoked"
    sandboxes.bank.resume_callbacks()
    assert sandboxes.bank.wait_idle(5)
    assert receiver.received == [] and sandboxes.bank.callbacks_sent == []


def test_revoke_after_feedback_is_refused(sandboxes, bank, receiver):
    bank.submit_batch(batch("B20260301-0007", [member("0070000021")]))
    wait_until(lambda: receiver.of(RESULTS_PATH))
    with pytest.raises(BankRevocationRefused) as caught:
        bank.revoke_batch("B20260301-0007")
    assert caught.value.message == "该批次银行已反馈，不能撤销"
    with pytest.raises(BankRejected) as unknown:
        bank.revoke_batch("B-unknown")
    assert unknown.value.status == 404


def test_callback_retried_after_an_error(sandboxes, bank, receiver):
    receiver.fail_first = 1
    bank.submit_batch(batch("B20260301-0008", [member("0070000021")]))
    assert sandboxes.bank.wait_idle(5)
    assert sandboxes.bank.callbacks_sent[:2] == [(RESULTS_PATH, 500), (RESULTS_PATH, 200)]
    assert len(receiver.of(RESULTS_PATH)) == 1 and len(receiver.of(EVENTS_PATH)) == 3


def test_results_split_into_chunks(receiver):
    app = create_bank_sandbox(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, bank_id=BANK_ID,
                              bank_secret=BANK_SECRET, callback_base_url=receiver.url,
                              result_delay=0.01, event_delay=0.01, today=TODAY, callback_chunk=2)  # fmt: skip
    members = [member(f"00700001{i:02d}") for i in range(5)]
    with ServerThread(app) as server, BankClient(server.url, CLIENT_ID, CLIENT_SECRET) as client:
        client.submit_batch(batch("B20260301-0009", members))
        assert app.extensions["bank_sandbox"].wait_idle(5)
    assert [len(b["results"]) for b in receiver.of(RESULTS_PATH)] == [2, 2, 1]
    assert [len(b["events"]) for b in receiver.of(EVENTS_PATH)] == [2, 2, 1] * 3


def test_special_channel_skips_the_charset_rule():
    name = member("0070000031", "𠮷祥")
    assert card_result("B1", "普通", name, TODAY)["reason_code"] == "NAME_CHARSET"
    assert card_result("B1", "特殊", name, TODAY)["status"] == "success"
    assert (
        card_result("B1", "特殊", {**name, "member_no": "0070000077"}, TODAY)["reason_code"]
        == "DUPLICATE_CARD"
    )


@pytest.fixture()
def bad_bank():
    app = Flask("bad_bank")
    answers: list = []

    @app.post("/batches/<batch_no>/revoke")
    @app.post("/batches")
    def anything(batch_no=None):
        return answers.pop(0)

    with ServerThread(app) as server, BankClient(server.url, CLIENT_ID, CLIENT_SECRET) as client:
        yield client, answers


@pytest.mark.parametrize(
    "answer",
    [
        ("not json", 200),
        ({"batch_no": "B-other", "status": "revoked"}, 200),
        ({"batch_no": "B1", "status": "gone"}, 200),
        ({"status": "revoked"}, 200),
        ("", 204),
    ],
)
def test_revocation_answer_is_validated(bad_bank, answer):
    client, answers = bad_bank
    answers.append(answer)
    with pytest.raises(BankBadResponse):
        client.revoke_batch("B1")


def test_submission_answer_is_validated(bad_bank):
    client, answers = bad_bank
    answers.extend([({"batch_no": "B-other"}, 202), ("", 201), ({"message": "slow down"}, 429)])
    with pytest.raises(BankBadResponse):
        client.submit_batch(batch("B1", [member("0070000021")]))
    with pytest.raises(BankBadResponse):
        client.submit_batch(batch("B1", [member("0070000021")]))
    with pytest.raises(BankUnavailable):
        client.submit_batch(batch("B1", [member("0070000021")]))


def test_read_timeout_is_unavailable_and_not_retried():
    app, calls, release = Flask("slow_bank"), [], threading.Event()

    @app.post("/batches")
    def slow():
        calls.append(1)
        release.wait(2)
        return jsonify({"batch_no": "B1", "status": "received"}), 202

    with ServerThread(app) as server:
        with (
            BankClient(server.url, CLIENT_ID, CLIENT_SECRET, timeout=(1, 0.1)) as client,
            pytest.raises(BankUnavailable),
        ):
            client.submit_batch(batch("B1", [member("0070000021")]))
        release.set()
    wait_until(lambda: calls)
    assert calls == [1]
