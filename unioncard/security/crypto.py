"""Personal data at rest (PIPL): AES-256-GCM with key ids, and an HMAC blind index.

Stored form: ``<key id>:<base64(nonce || ciphertext+tag)>``, with the field kind
(``id_number``, ``mobile``, ``card_no``) as associated data so that a value cannot be moved
from one column to another. New values use ``DATA_KEY_ID``; old key ids stay readable
while listed in ``DATA_KEYS`` (rotation). Decryption failures raise: there is no
plaintext fallback (fail closed).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app, has_app_context
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

EXTENSION_KEY = "unioncard.keyring"


class CryptoError(RuntimeError):
    """Encryption or decryption impossible: wrong key, tampered value, no key configured."""


def _b64key(value: str, name: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CryptoError(f"{name} 不是有效的 base64") from exc
    if len(raw) != 32:
        raise CryptoError(f"{name} 应为 32 字节（base64 编码）")
    return raw


class Keyring:
    def __init__(self, data_keys: dict[str, str], active_key_id: str, blind_index_key: str):
        if active_key_id not in data_keys:
            raise CryptoError("DATA_KEY_ID 不在 DATA_KEYS 中")
        if any(":" in kid for kid in data_keys):
            raise CryptoError("密钥编号不能包含冒号")
        self._aead = {kid: AESGCM(_b64key(k, f"DATA_KEYS[{kid}]")) for kid, k in data_keys.items()}
        self.active_key_id = active_key_id
        self._bidx_key = _b64key(blind_index_key, "BLIND_INDEX_KEY")
        # HMAC-SHA256 keyed once (RFC 2104 with a 32-byte key: H(K^opad, H(K^ipad, m))): each
        # index copies the two keyed hash states, a third of ``hmac.digest``'s cost and less
        # than copying an ``hmac.HMAC`` (tests compare with ``hmac.digest``)
        block = self._bidx_key.ljust(hashlib.sha256().block_size, b"\0")
        self._bidx_inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._bidx_outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def encrypt(self, kind: str, plaintext: str) -> str:
        return self.encrypt_many(kind, (plaintext,))[0]

    def encrypt_many(self, kind: str, plaintexts: Sequence[str]) -> list[str]:
        """``encrypt`` of each value (same stored form, a fresh random nonce each), for bulk
        work: the nonces come from one ``os.urandom`` call, which is what makes it cheap."""
        seal = self._aead[self.active_key_id].encrypt
        aad = kind.encode()
        prefix = self.active_key_id + ":"
        b64 = binascii.b2a_base64
        nonces = os.urandom(12 * len(plaintexts))
        out = []
        at = 0
        for plaintext in plaintexts:
            nonce = nonces[at : at + 12]
            at += 12
            out.append(
                prefix + b64(nonce + seal(nonce, plaintext.encode(), aad), newline=False).decode()
            )
        return out

    def decrypt(self, kind: str, stored: str) -> str:
        kid, sep, body = stored.partition(":")
        if not sep or kid not in self._aead:
            raise CryptoError(f"无法解密：未知的密钥编号 {kid!r}")
        try:
            raw = base64.b64decode(body, validate=True)
            return self._aead[kid].decrypt(raw[:12], raw[12:], kind.encode()).decode()
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise CryptoError("无法解密：数据被篡改或密钥不符") from exc

    def encrypt_bytes(self, kind: str, data: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(12)
        return self.active_key_id, nonce + self._aead[self.active_key_id].encrypt(
            nonce, data, kind.encode()
        )

    def decrypt_bytes(self, kind: str, key_id: str, blob: bytes) -> bytes:
        if key_id not in self._aead:
            raise CryptoError(f"无法解密：未知的密钥编号 {key_id!r}")
        try:
            return self._aead[key_id].decrypt(blob[:12], blob[12:], kind.encode())
        except InvalidTag as exc:
            raise CryptoError("无法解密：文件被篡改或密钥不符") from exc

    def key_id_of(self, stored: str) -> str:
        return stored.partition(":")[0]

    def blind_index(self, kind: str, normalised: str) -> str:
        """Deterministic HMAC-SHA256 (128 bits, hex) of an already normalised value."""
        return self.blind_indexes(kind, (normalised,))[0]

    def blind_indexes(self, kind: str, values: Iterable[str]) -> list[str]:
        """``blind_index`` of each value, for bulk work."""
        inner, outer = self._bidx_inner.copy, self._bidx_outer.copy
        prefix = kind + ":"
        out = []
        for value in values:
            h = inner()
            h.update((prefix + value).encode())
            mac = outer()
            mac.update(h.digest())
            out.append(mac.digest()[:16].hex())
        return out


def keyring() -> Keyring:
    """The app's keyring (one context lookup: it is read for every encrypted value read)."""
    app = current_app._get_current_object() if has_app_context() else None
    ring = app.extensions.get(EXTENSION_KEY) if app is not None else None
    if ring is None:
        raise CryptoError("未配置加密密钥（需要应用上下文）")
    return ring


def init_keyring(app) -> None:
    app.extensions[EXTENSION_KEY] = Keyring(
        app.config["DATA_KEYS"], app.config["DATA_KEY_ID"], app.config["BLIND_INDEX_KEY"]
    )


def blind_index(kind: str, normalised: str | None) -> str | None:
    return None if normalised is None else keyring().blind_index(kind, normalised)


class Encrypted(TypeDecorator):
    """A string column stored encrypted; reads decrypt, writes encrypt (fail closed)."""

    impl = String(255)
    cache_ok = True

    def __init__(self, kind: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind

    def process_bind_param(self, value, dialect):
        return None if value is None else keyring().encrypt(self.kind, value)

    def process_result_value(self, value, dialect):
        return None if value is None else keyring().decrypt(self.kind, value)
