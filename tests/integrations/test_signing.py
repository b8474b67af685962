"""The bank signature: the formula, and every reason ``verify_request`` refuses a request."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from integrations.signing import (
    NonceCache,
    SignatureError,
    body_digest,
    signature,
    signed_headers,
    verify_request,
)

BANK, SECRET = "boc-sh", "银行的密钥-s3cret"
PATH = "/api/integrations/bank/v1/callbacks/card-results"
BODY = '{"batch_no":"B20260301-0001","results":[{"member_no":"0070000001","reason":"证件已过期"}]}'.encode()
NOW = 1_772_340_000


def check(headers, *, method="POST", path=PATH, body=BODY, now=NOW, nonces=None):
    return verify_request(
        headers,
        method,
        path,
        body,
        secret_for={BANK: SECRET}.get,
        remember_nonce=nonces or NonceCache(),
        now=now,
    )


def refused(headers, **kwargs) -> str:
    with pytest.raises(SignatureError) as caught:
        check(headers, **kwargs)
    assert caught.value.message == SignatureError.MESSAGES[caught.value.reason]
    return caught.value.reason


def test_known_answer():
    digest = hashlib.sha256(BODY).hexdigest()
    canonical = f"{NOW}\nnonce-1\nPOST\n{PATH}\n{digest}"
    expected = hmac.new(SECRET.encode(), canonical.encode(), hashlib.sha256).hexdigest()

    assert body_digest(BODY) == digest
    assert signature(SECRET, str(NOW), "nonce-1", "post", PATH, BODY) == expected
    assert signed_headers(BANK, SECRET, "POST", PATH, BODY, now=NOW + 0.9, nonce="nonce-1") == {
        "X-Bank-Id": BANK,
        "X-Timestamp": str(NOW),
        "X-Nonce": "nonce-1",
        "X-Signature": expected,
        "Content-Type": "application/json",
    }


def test_fresh_nonce_each_time_and_accepted():
    first = signed_headers(BANK, SECRET, "POST", PATH, BODY, now=NOW)
    second = signed_headers(BANK, SECRET, "POST", PATH, BODY, now=NOW)
    assert first["X-Nonce"] != second["X-Nonce"]
    assert len(first["X-Nonce"]) == 32 and int(first["X-Nonce"], 16) >= 0
    nonces = NonceCache()
    assert check(first, nonces=nonces) == BANK
    assert check(second, nonces=nonces) == BANK


def test_header_names_are_case_insensitive_in_a_plain_dict():
    headers = {
        k.lower(): v for k, v in signed_headers(BANK, SECRET, "POST", PATH, BODY, now=NOW).items()
    }
    assert check(headers) == BANK


@pytest.mark.parametrize("header", ["X-Bank-Id", "X-Timestamp", "X-Nonce", "X-Signature"])
def test_missing_header(header):
    headers = signed_headers(BANK, SECRET, "POST", PATH, BODY, now=NOW)
    del headers[header]
    assert refused(headers) == "missing"


def test_malformed_timestamp():
    headers = signed_headers(BANK, SECRET, "POST", PATH, BODY, now=NOW)
    headers["X-Timestamp"] = "2026-03-01T12:00:00"
    assert refused(headers) == "missing"


def test_unknown_bank():
    headers = signed_headers("other-bank", SECRET, "POST", PATH, BODY, now=NOW)
    assert refused(headers) == "unknown_bank"


def test_wrong_secret_method_or_path():
    assert refused(signed_headers(BANK, "wrong", "POST", PATH, BODY, now=NOW)) == "bad_signature"
    headers = signed_headers(BANK, SECRET, "POST", PATH, BODY, now=NOW)
    assert refused(headers, method="PUT") == "bad_signature"
    assert refused(headers, path=PATH.replace("results", "events")) == "bad_signature"


def test_tampered_body_or_signature():
    headers = signed_headers(BANK, SECRET, "POST", PATH, BODY, now=NOW)
    assert refused(headers, body=BODY.replace(b"0001", b"0002")) == "bad_signature"
    headers["X-Signature"] = headers["X-Signature"][:-1] + (
        "0" if headers["X-Signature"][-1] != "0" else "1"
    )
    assert refused(headers) == "bad_signature"
    headers["X-Signature"] = "签名"
    assert refused(headers) == "bad_signature"


@pytest.mark.parametrize("skew", [301, -301])
def test_stale_both_directions(skew):
    headers = signed_headers(BANK, SECRET, "POST", PATH, BODY, now=NOW)
    assert refused(headers, now=NOW + skew) == "stale"


@pytest.mark.parametrize("skew", [300, -300])
def test_edge_of_the_window_is_accepted(skew):
    headers = signed_headers(BANK, SECRET, "POST", PATH, BODY, now=NOW)
    assert check(headers, now=NOW + skew) == BANK


def test_replayed_nonce():
    nonces = NonceCache()
    headers = signed_headers(BANK, SECRET, "POST", PATH, BODY, now=NOW)
    assert check(headers, nonces=nonces) == BANK
    assert refused(headers, nonces=nonces) == "replayed"


def test_refused_request_does_not_burn_the_nonce():
    nonces = NonceCache()
    bad = signed_headers(BANK, "wrong", "POST", PATH, BODY, now=NOW, nonce="n-1")
    assert refused(bad, nonces=nonces) == "bad_signature"
    good = signed_headers(BANK, SECRET, "POST", PATH, BODY, now=NOW, nonce="n-1")
    assert check(good, nonces=nonces) == BANK


def test_nonce_ttl_is_twice_the_window_and_expires():
    clock = [0.0]
    nonces = NonceCache(clock=lambda: clock[0])
    seen: list[int] = []

    def remember(sender, nonce, ttl):
        seen.append(ttl)
        return nonces(sender, nonce, ttl)

    headers = signed_headers(BANK, SECRET, "POST", PATH, BODY, now=NOW)
    verify_request(headers, "POST", PATH, BODY, secret_for={BANK: SECRET}.get,
                   remember_nonce=remember, now=NOW)  # fmt: skip
    assert seen == [600]
    clock[0] = 599.0
    assert nonces(BANK, headers["X-Nonce"], 600) is False
    clock[0] = 1200.0
    assert nonces(BANK, headers["X-Nonce"], 600) is True


def test_query_string_is_not_signed():
    headers = signed_headers(BANK, SECRET, "POST", PATH, BODY, now=NOW)
    assert check(headers, path=PATH + "?retry=1") == BANK
    with_query = signed_headers(BANK, SECRET, "POST", PATH + "?a=b", BODY, now=NOW)
    assert with_query["X-Signature"] == signature(
        SECRET, str(NOW), with_query["X-Nonce"], "POST", PATH, BODY
    )


def test_unknown_reason_is_a_programming_error():
    with pytest.raises(ValueError):
        SignatureError("nope")
