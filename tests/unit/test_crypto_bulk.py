"""The keyring's bulk paths give what the one-value paths always gave (the stored form
and the blind index are read back by every other part of the system)."""

from __future__ import annotations

import base64
import hmac

import pytest

from unioncard.security.crypto import CryptoError, Keyring

DATA_KEY = base64.b64encode(bytes(range(32))).decode()
INDEX_KEY = base64.b64encode(bytes(range(32, 64))).decode()
VALUES = ["440304199001011234", "13800138000", "", "𠮷野家", "A1234567\t\\x"]


def test_encrypt_many_is_encrypt_of_each_value_with_its_own_nonce():
    ring = Keyring({"k1": DATA_KEY}, "k1", INDEX_KEY)
    sealed = ring.encrypt_many("mobile", VALUES + VALUES)
    assert [ring.decrypt("mobile", s) for s in sealed] == VALUES + VALUES
    assert all(s.startswith("k1:") for s in sealed)
    nonces = {base64.b64decode(s[3:])[:12] for s in sealed}
    assert len(nonces) == len(sealed)  # never a nonce twice
    assert sealed[0] != sealed[len(VALUES)]
    # the kind is bound in: a mobile cannot be read back as an ID number
    with pytest.raises(CryptoError, match="无法解密"):
        ring.decrypt("id_number", sealed[0])
    assert ring.encrypt_many("mobile", []) == []


def test_blind_index_is_hmac_sha256_of_kind_and_value_truncated_to_128_bits():
    ring = Keyring({"k1": DATA_KEY}, "k1", INDEX_KEY)
    key = base64.b64decode(INDEX_KEY)
    for value in VALUES:
        expected = hmac.digest(key, f"mobile:{value}".encode(), "sha256")[:16].hex()
        assert ring.blind_index("mobile", value) == expected
    assert ring.blind_index("mobile", "1") != ring.blind_index("id_number", "1")


def test_blind_indexes_is_blind_index_of_each_value_for_any_key():
    key_bytes = [bytes(32), b"\xff" * 32, bytes(range(100, 132))]
    for raw in key_bytes:
        ring = Keyring({"k1": DATA_KEY}, "k1", base64.b64encode(raw).decode())
        for kind in ("id_number", "mobile", "card_no"):
            expected = [
                hmac.digest(raw, f"{kind}:{v}".encode(), "sha256")[:16].hex() for v in VALUES
            ]
            assert ring.blind_indexes(kind, VALUES) == expected
            assert ring.blind_indexes(kind, iter(VALUES)) == expected
            assert [ring.blind_index(kind, v) for v in VALUES] == expected
    assert ring.blind_indexes("mobile", []) == []
