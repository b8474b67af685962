"""The register clients against the registers sandbox (and a misbehaving server) over loopback."""

from __future__ import annotations

import socket
import threading
import time
from datetime import date

import pytest
import requests
from flask import Flask

from integrations.sandboxes import ServerThread, start_sandboxes
from integrations.verification import (
    PopulationRegisterClient,
    RegisterBadResponse,
    RegisterRejected,
    RegisterUnavailable,
    SocialSecurityRegisterClient,
)
from integrations.verification.sandbox import create_registers_sandbox, retirement_date
from unioncard.members.idcard import resident_id_check_char

TODAY = date(2026, 3, 1)


def resident_id(birth: str = "19900101", seq: str = "123") -> str:
    first17 = "310110" + birth + seq
    return first17 + resident_id_check_char(first17)


@pytest.fixture()
def registers():
    app = create_registers_sandbox(today=TODAY)
    with ServerThread(app) as server:
        server.state = app.extensions["registers_sandbox"]
        yield server


@pytest.fixture()
def population(registers):
    with PopulationRegisterClient(registers.url + "/population", backoff_factor=0) as client:
        yield client


@pytest.fixture()
def social(registers):
    with SocialSecurityRegisterClient(
        registers.url + "/social-security", backoff_factor=0
    ) as client:
        yield client


DEFAULT_POP = {"match": True, "deceased": False}
DEFAULT_SS = {"retired": False, "retired_on": None, "insurance_status": "正常", "card_status": "正常",
              "employment": "在职"}  # fmt: skip
ROWS = [
    # (id_number, name, population differences, social-security differences)
    (resident_id(), "王小明", {}, {}),
    (resident_id(seq="899"), "王小明", {}, {}),
    (resident_id(seq="900"), "王小明", {"match": False}, {}),
    (resident_id(seq="904"), "王小明", {"match": False}, {}),
    (resident_id(seq="905"), "王小明", {"deceased": True}, {}),
    (resident_id(seq="909"), "王小明", {"deceased": True}, {}),
    (resident_id(seq="910"), "王小明", {}, {"insurance_status": "待确认"}),
    (resident_id(seq="919"), "王小明", {}, {"insurance_status": "待确认"}),
    (resident_id(seq="920"), "王小明", {}, {"card_status": "封存"}),
    (resident_id(seq="924"), "王小明", {}, {"card_status": "封存"}),
    (resident_id(seq="925"), "王小明", {}, {"employment": "不在职"}),
    (resident_id(seq="929"), "王小明", {}, {"employment": "不在职"}),
    (resident_id(seq="930"), "王小明", {}, {}),
    (resident_id(), " ", {"match": False}, {}),
    ("E12345678", "JOHN SMITH", {}, {"card_status": None, "employment": None}),
    # a man (odd 17th digit) turns 60 today; a woman (even) turned 55 a year ago
    (
        resident_id("19660301", "131"),
        "王",
        {},
        {"retired": True, "retired_on": "2026-03-01", "employment": "不在职"},
    ),
    (resident_id("19660302", "131"), "王", {}, {}),
    (
        resident_id("19700301", "132"),
        "李",
        {},
        {"retired": True, "retired_on": "2025-03-01", "employment": "不在职"},
    ),
    (resident_id("19710302", "132"), "李", {}, {}),
    (
        resident_id("19600301", "921"),
        "王",
        {},
        {
            "retired": True,
            "retired_on": "2020-03-01",
            "employment": "不在职",
            "card_status": "封存",
        },
    ),  # fmt: skip
]


@pytest.mark.parametrize(("id_number", "name", "pop", "ss"), ROWS)
def test_rule_table(population, social, id_number, name, pop, ss):
    assert population.verify([{"ref": "m1", "name": name, "id_number": id_number}]) == [
        {"ref": "m1", **DEFAULT_POP, **pop}
    ]
    assert social.status([{"ref": 7, "id_number": id_number}]) == [{"ref": 7, **DEFAULT_SS, **ss}]


def test_retirement_dates():
    assert retirement_date(resident_id("19680229", "131")) == date(2028, 2, 29)
    assert retirement_date(resident_id("19720229", "132")) == date(2027, 2, 28)
    assert retirement_date("E12345678") is None


def test_chunking_keeps_order(registers):
    items = [
        {"ref": f"r{i}", "name": "王小明", "id_number": resident_id(seq=f"90{i}")} for i in range(5)
    ]
    with PopulationRegisterClient(registers.url + "/population", chunk_size=2) as client:
        answers = client.verify(items)
    assert registers.state.calls == [
        ("/population/verify", 2),
        ("/population/verify", 2),
        ("/population/verify", 1),
    ]
    assert [a["ref"] for a in answers] == [f"r{i}" for i in range(5)]
    assert [a["match"] for a in answers] == [False] * 5


def test_retries_transient_errors(registers, social):
    registers.state.fail_next(2, status=503)
    assert social.status([{"ref": "a", "id_number": resident_id()}])[0]["card_status"] == "正常"
    registers.state.fail_next(3, status=502)
    with pytest.raises(RegisterUnavailable):
        social.status([{"ref": "a", "id_number": resident_id()}])
    assert registers.state.calls == [("/social-security/status", 1)]


def test_nothing_listening_is_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        PopulationRegisterClient(f"http://127.0.0.1:{port}", backoff_factor=0) as client,
        pytest.raises(RegisterUnavailable),
    ):
        client.verify([{"ref": 1, "name": "王", "id_number": resident_id()}])


def test_sandbox_refuses_malformed_and_oversized_bodies(registers):
    url = registers.url + "/population/verify"
    item = {"ref": 1, "name": "王", "id_number": resident_id()}
    for body in (
        b"{",
        b"[]",
        b'{"items": {}}',
        b'{"items": [{"ref": true, "name": "a", "id_number": "b"}]}',
    ):
        assert requests.post(url, data=body, timeout=5).status_code == 400
    assert requests.post(url, json={"items": [item, item]}, timeout=5).status_code == 400
    assert (
        requests.post(url, json={"items": [{"ref": 1, "id_number": "x"}]}, timeout=5).status_code
        == 400
    )
    many = [{**item, "ref": i} for i in range(1001)]
    answer = requests.post(url, json={"items": many}, timeout=5)
    assert answer.status_code == 413 and answer.json()["code"] == 413
    assert requests.post(url, json={"items": many[:1000]}, timeout=5).status_code == 200


def test_client_refuses_bad_input(population):
    with pytest.raises(ValueError):
        population.verify(
            [{"ref": 1, "name": "a", "id_number": "b"}, {"ref": 1, "name": "c", "id_number": "d"}]
        )
    with pytest.raises(ValueError):
        population.verify([{"ref": 1, "id_number": "b"}])
    with pytest.raises(ValueError):
        PopulationRegisterClient("http://127.0.0.1:1", chunk_size=1001)


def test_through_start_sandboxes():
    boxes = start_sandboxes(callback_base_url="http://127.0.0.1:9", client_id="a", client_secret="b",
                            bank_id="c", bank_secret="d", today=TODAY)  # fmt: skip
    try:
        with (
            PopulationRegisterClient(boxes.population_url) as pop,
            SocialSecurityRegisterClient(boxes.social_security_url) as ss,
        ):
            assert pop.verify([{"ref": 1, "name": "王", "id_number": resident_id(seq="905")}])[0][
                "deceased"
            ]
            assert (
                ss.status([{"ref": 1, "id_number": resident_id(seq="915")}])[0]["insurance_status"]
                == "待确认"
            )
        assert boxes.registers.calls == [("/population/verify", 1), ("/social-security/status", 1)]
    finally:
        boxes.stop()


@pytest.fixture()
def bad_server():
    app = Flask("bad_register")
    answers: list = []

    @app.post("/verify")
    @app.post("/status")
    def anything():
        return answers.pop(0)

    with ServerThread(app) as server:
        yield server.url, answers


GOOD_POP = {"ref": "a", "match": True, "deceased": False}
GOOD_SS = {
    "ref": "a",
    "retired": False,
    "insurance_status": "正常",
    "card_status": None,
    "employment": None,
}


@pytest.mark.parametrize(
    ("kind", "answer"),
    [
        ("pop", {"items": []}),  # a ref missing
        ("pop", {"items": [GOOD_POP, {**GOOD_POP, "ref": "zzz"}]}),  # an unknown ref
        ("pop", {"items": [GOOD_POP, GOOD_POP]}),  # a ref twice
        ("pop", {"items": [{**GOOD_POP, "match": "yes"}]}),
        ("pop", {"items": [{"ref": "a", "match": True}]}),
        ("pop", {"items": [{**GOOD_POP, "ref": True}]}),
        ("pop", {"results": [GOOD_POP]}),
        ("pop", "<html>oops</html>"),
        ("ss", {"items": [{**GOOD_SS, "insurance_status": "未知"}]}),
        ("ss", {"items": [{**GOOD_SS, "retired": 0}]}),
        ("ss", {"items": [{**GOOD_SS, "retired_on": "2026-13-01"}]}),
        ("ss", {"items": [{k: v for k, v in GOOD_SS.items() if k != "employment"}]}),
        ("ss", {"items": [{**GOOD_SS, "card_status": "冻结"}]}),
    ],
)
def test_bad_answers(bad_server, kind, answer):
    url, answers = bad_server
    answers.append(answer)
    client_class = PopulationRegisterClient if kind == "pop" else SocialSecurityRegisterClient
    with client_class(url) as client, pytest.raises(RegisterBadResponse):
        if kind == "pop":
            client.verify([{"ref": "a", "name": "王", "id_number": resident_id()}])
        else:
            client.status([{"ref": "a", "id_number": resident_id()}])


def test_good_answer_without_optional_retired_on(bad_server):
    url, answers = bad_server
    answers.append({"items": [{**GOOD_SS, "extra": "fields are fine"}]})
    with SocialSecurityRegisterClient(url) as client:
        assert client.status([{"ref": "a", "id_number": "E1"}]) == [{**GOOD_SS, "retired_on": None}]


def test_client_error_is_rejected(bad_server):
    url, answers = bad_server
    answers.append(({"message": "bad request"}, 400))
    with PopulationRegisterClient(url) as client, pytest.raises(RegisterRejected) as caught:
        client.verify([{"ref": "a", "name": "王", "id_number": resident_id()}])
    assert caught.value.status == 400


def test_read_timeouts_are_retried():
    app, calls, release = Flask("slow_register"), [], threading.Event()

    @app.post("/verify")
    def slow():
        calls.append(1)
        release.wait(2)
        return {"items": []}

    with ServerThread(app) as server:
        with (
            PopulationRegisterClient(server.url, timeout=(1, 0.1), backoff_factor=0) as client,
            pytest.raises(RegisterUnavailable),
        ):
            client.verify([{"ref": "a", "name": "王", "id_number": resident_id()}])
        release.set()
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:  # the last handler may lag the client
        time.sleep(0.01)
    assert calls == [1, 1, 1]
