"""WeChat Pay API v3 cryptography, used both ways (by our client and by the sandbox).

- Requests are signed by the merchant: SHA256withRSA (PKCS#1 v1.5) with the merchant API
  key over ``METHOD\\nURL\\ntimestamp\\nnonce\\nbody\\n`` (URL: path and query as sent), in
  ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",
  timestamp="…",serial_no="…"``.
- Answers and notifications are signed by WeChat Pay with the platform key over
  ``timestamp\\nnonce\\nbody\\n``, in the ``Wechatpay-Timestamp``, ``Wechatpay-Nonce``,
  ``Wechatpay-Signature`` and ``Wechatpay-Serial`` headers.
- A notification's ``resource`` is AEAD_AES_256_GCM under the APIv3 key (32 bytes) with its
  ``nonce`` and ``associated_data``; ``ciphertext`` is base64 of ciphertext + tag.
- ``wx.requestPayment``'s paySign is the merchant signature of
  ``appId\\ntimeStamp\\nnonceStr\\npackage\\n``.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import time
from collections.abc import Mapping
from functools import lru_cache

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEMA = "WECHATPAY2-SHA256-RSA2048"
HEADER_TIMESTAMP = "Wechatpay-Timestamp"
HEADER_NONCE = "Wechatpay-Nonce"
HEADER_SIGNATURE = "Wechatpay-Signature"
HEADER_SERIAL = "Wechatpay-Serial"
_AUTH_PARAM = re.compile(r'(\w+)="([^"]*)"')


class CryptoError(Exception):
    """A key, a signature or a ciphertext that does not check out."""


@lru_cache(maxsize=16)
def private_key(pem: str) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise CryptoError("商户私钥不是有效的 PEM") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CryptoError("商户私钥须为 RSA 密钥")
    return key


@lru_cache(maxsize=16)
def public_key(pem: str) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as exc:
        raise CryptoError("微信支付平台公钥不是有效的 PEM") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise CryptoError("微信支付平台公钥须为 RSA 公钥")
    return key


def sign(private_pem: str, message: str) -> str:
    """Base64 SHA256withRSA signature of ``message`` (UTF-8)."""
    raw = private_key(private_pem).sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode()


def verify(public_pem: str, message: str, signature_b64: str) -> bool:
    try:
        raw = base64.b64decode(signature_b64, validate=True)
        public_key(public_pem).verify(raw, message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def new_nonce() -> str:
    return secrets.token_hex(16).upper()


def request_message(method: str, url: str, timestamp: str, nonce: str, body: str) -> str:
    return f"{method.upper()}\n{url}\n{timestamp}\n{nonce}\n{body}\n"


def message(timestamp: str, nonce: str, body: str) -> str:
    """What WeChat Pay signs in an answer or a notification."""
    return f"{timestamp}\n{nonce}\n{body}\n"


def authorization(
    mch_id: str,
    serial_no: str,
    private_pem: str,
    method: str,
    url: str,
    body: str,
    *,
    now: float | None = None,
    nonce: str | None = None,
) -> str:
    """The ``Authorization`` header of one request; ``url`` is path + query as sent."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = nonce or new_nonce()
    signature = sign(private_pem, request_message(method, url, timestamp, nonce, body))
    return (
        f'{SCHEMA} mchid="{mch_id}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


def parse_authorization(value: str | None) -> dict[str, str] | None:
    """The parameters of an ``Authorization`` header, or None if it is not ours."""
    if not value or not value.startswith(SCHEMA + " "):
        return None
    params = dict(_AUTH_PARAM.findall(value[len(SCHEMA) + 1 :]))
    needed = ("mchid", "nonce_str", "signature", "timestamp", "serial_no")
    return params if all(params.get(k) for k in needed) else None


def signed_headers(private_pem: str, serial: str, body: str, *, now: float | None = None) -> dict:
    """WeChat Pay's signature headers for an answer or notification (the sandbox's side)."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = new_nonce()
    return {
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: sign(private_pem, message(timestamp, nonce, body)),
        HEADER_SERIAL: serial,
    }


def check_signed(
    headers: Mapping[str, str],
    body: str,
    *,
    public_pem: str,
    serial: str,
    window: int = 300,
    now: float | None = None,
) -> None:
    """Raise ``CryptoError`` unless ``headers`` carry WeChat Pay's valid signature of ``body``."""
    timestamp = headers.get(HEADER_TIMESTAMP)
    nonce = headers.get(HEADER_NONCE)
    signature = headers.get(HEADER_SIGNATURE)
    given_serial = headers.get(HEADER_SERIAL)
    if not (timestamp and nonce and signature and given_serial):
        raise CryptoError("缺少微信支付签名信息")
    if given_serial != serial:
        raise CryptoError("微信支付平台证书序列号不符")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise CryptoError("微信支付签名时间戳格式不正确")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > window:
        raise CryptoError("微信支付签名时间与服务器时间相差过大")
    if not verify(public_pem, message(timestamp, nonce, body), signature):
        raise CryptoError("微信支付签名校验失败")


def _aes_key(apiv3_key: str) -> bytes:
    key = apiv3_key.encode()
    if len(key) != 32:
        raise CryptoError("APIv3 密钥须为 32 个字符")
    return key


def encrypt(apiv3_key: str, plaintext: str, associated_data: str, nonce: str) -> str:
    data = AESGCM(_aes_key(apiv3_key)).encrypt(
        nonce.encode(), plaintext.encode(), associated_data.encode()
    )
    return base64.b64encode(data).decode()


def decrypt(apiv3_key: str, ciphertext: str, associated_data: str, nonce: str) -> str:
    """Decrypt a notification's resource; ``CryptoError`` if it was not sealed with our key."""
    try:
        data = base64.b64decode(ciphertext, validate=True)
        plain = AESGCM(_aes_key(apiv3_key)).decrypt(nonce.encode(), data, associated_data.encode())
        return plain.decode()
    except (InvalidTag, binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise CryptoError("通知内容无法解密") from exc
