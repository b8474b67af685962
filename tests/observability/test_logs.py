"""Logs: a request id per request (taken or made, echoed), one structured line per request
with route, status, user and org, and never a personal number in any handler's output."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from tests.world import build_world, login
from unioncard.extensions import db
from unioncard.observability import logs
from unioncard.observability.redact import RedactingFilter, redact

ID_NO = "11010119900307123X"
MOBILE = "13812345678"
CARD = "6231000011112222333"
CLEAR = re.compile(r"\d{17}[\dXx]|(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)\d{16,19}(?!\d)")


def _lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"id {ID_NO} end", "id 1101**********123X end"),
        ("id 110101199003071234", "1101**********1234"),
        (f"mobile {MOBILE}", "mobile 138****5678"),
        ("tel +8613812345678", "+86138****5678"),
        (f"card {CARD}", "card 6231***********2333"),
        ("card 6222020200112233", "6222********2233"),
        (f"/m?id_no={ID_NO}&page=2&mobile=abc", "/m?id_no=***&page=2&mobile=***"),
        ("GET /x?card_no=1&phone=2&name=张三", "/x?card_no=***&phone=***&name=张三"),
    ],
)
def test_redact(text, expected):
    assert expected in redact(text)
    assert not CLEAR.search(redact(text))


def test_batch_numbers_and_times_are_kept():
    text = "batch CB20261122000001 at 2026-11-22T08:00:00 order 42 took 1234ms"
    assert redact(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Task cards.flush_outbox[ab12] succeeded in 0.13812345678s: None",
        "Task x succeeded in 2.6231000011112222333s",
        "ratio 0.11010119900307123 ok",
    ],
)
def test_a_numbers_decimals_are_kept(text):
    # Celery reports a task's seconds with many decimals; they are not personal numbers
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"张三.{MOBILE}", "张三.138****5678"),
        (f"call.{MOBILE}", "call.138****5678"),
        (f"{MOBILE}.5", "138****5678.5"),
        (f"v1. {ID_NO}", "v1. 1101**********123X"),
    ],
)
def test_numbers_next_to_a_full_stop_are_still_masked(text, expected):
    assert redact(text) == expected


def test_filter_masks_arguments_and_tracebacks():
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "member %s mobile %s", (ID_NO, MOBILE), None
    )
    try:
        raise ValueError(f"bad card {CARD}")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record)
    text = logging.Formatter().format(record)
    assert "ValueError" in text and not CLEAR.search(text)


def test_request_id_taken_or_made_and_echoed(client):
    assert (
        client.get("/livez", headers={"X-Request-ID": "lb-7f3a"}).headers["X-Request-ID"]
        == "lb-7f3a"
    )
    made = client.get("/livez").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    refused = client.get("/livez", headers={"X-Request-ID": "not a valid id; 中文 " + "x" * 80})
    assert re.fullmatch(r"[0-9a-f]{32}", refused.headers["X-Request-ID"])


def test_one_json_line_per_request_without_personal_numbers(client, ctx, captured):
    world = build_world(members_per_union=1)
    db.session.commit()
    headers = login(client, "ga1_operator")
    member = client.get("/api/admin/v1/members", headers=headers).get_json()[0]
    ok = client.get(
        f"/api/admin/v1/members/{member['id']}", headers={**headers, "X-Request-ID": "req-41"}
    )
    assert ok.status_code == 200 and ok.headers["X-Request-ID"] == "req-41"
    r = client.get(
        f"/api/admin/v1/members/{member['id']}?id_no={ID_NO}&mobile={MOBILE}&card_no={CARD}",
        headers={**headers, "X-Request-ID": "req-42"},
    )
    # personal numbers in a URL are refused (400) before anything else, and logged masked
    assert r.status_code == 400 and r.headers["X-Request-ID"] == "req-42"
    assert ID_NO not in r.get_data(as_text=True) and MOBILE not in r.get_data(as_text=True)
    logging.getLogger("unioncard.test").warning(
        "member %s called from %s, card %s", ID_NO, MOBILE, CARD
    )

    lines = _lines(captured)
    # every field of every line but the request ids: a generated one (32 hex digits) holds
    # 11 digits in a row now and then ("...d18497184360fe..."), and is nobody's number
    output = "\n".join(
        json.dumps({k: v for k, v in x.items() if k != "request_id"}, ensure_ascii=False)
        for x in lines
    )
    assert not CLEAR.search(output), output

    def line_of(request_id):
        return next(
            x
            for x in lines
            if x.get("request_id") == request_id and x["logger"] == "unioncard.request"
        )

    account = world.accounts["ga1_operator"]
    line = line_of("req-41")
    assert line["route"] == "/api/admin/v1/members/<int:member_id>"
    assert line["status"] == 200 and line["method"] == "GET"
    assert line["user"] == f"staff:{account.id}" and line["org"] == account.org_id
    assert line["duration_ms"] >= 0 and line["level"] == "INFO" and line["time"].endswith("+00:00")
    refused = line_of("req-42")
    assert refused["status"] == 400 and refused["route"] == line["route"]
    assert "id_no=***" in refused["url"] and "mobile=***" in refused["url"]


def test_text_format_in_the_embedded_default():
    assert logs.log_format({"ENV": "development"}) == "text"
    assert logs.log_format({"ENV": "production"}) == "json"
    stream = io.StringIO()
    handler = logs.make_handler("text", stream)
    logger = logging.getLogger("unioncard.text-test")
    logger.addHandler(handler)
    try:
        token = logs.request_id_var.set("r-1")
        logger.warning("mobile %s", MOBILE)
        logs.request_id_var.reset(token)
    finally:
        logger.removeHandler(handler)
    assert "WARNING [r-1] unioncard.text-test: mobile 138****5678" in stream.getvalue()


def test_embedded_server_logs_each_request_once(app):
    """werkzeug's own access line is dropped (ours has the request id and the duration);
    its errors still reach the log."""
    stream = io.StringIO()
    handler = logs.make_handler("text", stream)
    root = logging.getLogger()
    root.addHandler(handler)
    werkzeug = logging.getLogger("werkzeug")
    try:
        werkzeug.info('127.0.0.1 - - [01/Dec/2026 10:00:00] "GET /livez HTTP/1.1" 200 -')
        werkzeug.error("127.0.0.1 - - [01/Dec/2026 10:00:00] code 400, message Bad request")
        werkzeug.info(" * Running on http://127.0.0.1:5000")
    finally:
        root.removeHandler(handler)
    text = stream.getvalue()
    assert "GET /livez" not in text
    assert "code 400, message Bad request" in text
    assert "Running on http://127.0.0.1:5000" in text
