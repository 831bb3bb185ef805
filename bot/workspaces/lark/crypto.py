"""Lark's event security: the request signature and the AES-256-CBC body encryption.

Signature: hex SHA-256 of timestamp + nonce + encrypt key + raw body (`X-Lark-Signature`).
Encryption: key = SHA-256 of the encrypt key, data = base64(IV (16 bytes) + ciphertext),
PKCS#7 padding. `encrypt` exists for the tests and the fake server, which speak as Lark.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 16


class DecryptError(Exception):
    """The `encrypt` field is not something our key produced."""


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


def signature_matches(
    timestamp: str, nonce: str, encrypt_key: str, body: bytes, claimed: str
) -> bool:
    expected = signature(timestamp, nonce, encrypt_key, body)
    return hmac.compare_digest(expected.encode(), claimed.encode("utf-8", "replace"))


def _key(encrypt_key: str) -> bytes:
    return hashlib.sha256(encrypt_key.encode()).digest()


def decrypt(encrypt_key: str, data: str) -> bytes:
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise DecryptError("not base64") from None
    if len(raw) < 2 * BLOCK or len(raw) % BLOCK:
        raise DecryptError("not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(_key(encrypt_key)), modes.CBC(raw[:BLOCK])).decryptor()
    padded = decryptor.update(raw[BLOCK:]) + decryptor.finalize()
    unpadder = padding.PKCS7(BLOCK * 8).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise DecryptError("bad padding (wrong key or altered data)") from None


def encrypt(encrypt_key: str, plaintext: bytes, iv: bytes | None = None) -> str:
    iv = iv or os.urandom(BLOCK)
    padder = padding.PKCS7(BLOCK * 8).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(_key(encrypt_key)), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + encryptor.update(padded) + encryptor.finalize()).decode()
