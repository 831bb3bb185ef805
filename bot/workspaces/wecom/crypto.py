"""WeCom's callback encryption: a SHA-1 signature over the sorted parts, and AES-256-CBC.

The key is the EncodingAESKey decoded from base64, the IV its first 16 bytes, the padding
PKCS#7 to a 32-byte block. The plaintext is 16 random bytes, the message length as 4 bytes
big-endian, the message, then the receive id (the corp id), which must be ours: a message
sealed for another corp is refused even under a valid signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32


class CallbackRefused(Exception):
    """The callback is not from WeCom for this app (signature, receive id, padding, age)."""


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


class WeComCrypto:
    def __init__(self, token: str, aes_key: bytes, receive_id: str) -> None:
        if len(aes_key) != 32:
            raise ValueError("the AES key must be 32 bytes")
        self._token = token
        self._key = aes_key
        self._receive_id = receive_id.encode()

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        expected = signature(self._token, timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected, msg_signature.lower()):
            raise CallbackRefused("bad signature")

    def decrypt(self, encrypted: str) -> bytes:
        try:
            sealed = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise CallbackRefused("ciphertext is not base64") from None
        if not sealed or len(sealed) % 16:
            raise CallbackRefused("ciphertext is not whole AES blocks")
        decryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16])).decryptor()
        plain = decryptor.update(sealed) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise CallbackRefused("bad padding")
        plain = plain[:-pad]
        if len(plain) < 20:
            raise CallbackRefused("plaintext too short")
        (length,) = struct.unpack(">I", plain[16:20])
        message, receive_id = plain[20 : 20 + length], plain[20 + length :]
        if len(message) != length or not hmac.compare_digest(receive_id, self._receive_id):
            raise CallbackRefused("not sealed for this corp")
        return message

    def encrypt(self, message: bytes, *, random16: bytes | None = None) -> str:
        """What WeCom does to a callback (tests build callbacks with it)."""
        random16 = random16 if random16 is not None else os.urandom(16)
        plain = random16 + struct.pack(">I", len(message)) + message + self._receive_id
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        encryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16])).encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def sign(self, timestamp: str, nonce: str, encrypted: str) -> str:
        return signature(self._token, timestamp, nonce, encrypted)
