"""Config of the WeCom (企业微信) self-built app that is a team workspace.

Kept apart from `bot/config.py`: the app's secrets have shapes WeCom fixes (a 43-character
EncodingAESKey), checked here so a wrong value fails at start, not at the first callback.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

AES_KEY_LENGTH = 43  # WeCom's EncodingAESKey: base64 of 32 bytes without its "=" pad


class WeComConfigError(Exception):
    """A WeCom setting is wrong; the message names the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WeComConfig(_Strict):
    """The app (corp id, agent id) and the callback's secrets, each through an env variable."""

    corp_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{1,64}$")]
    agent_id: Annotated[int, Field(gt=0)]
    secret_env: str = "WECOM_SECRET"
    token_env: str = "WECOM_TOKEN"
    aes_key_env: str = "WECOM_AES_KEY"
    api_base_url: Annotated[str, Field(pattern=r"^https?://")] = (
        "https://qyapi.weixin.qq.com/cgi-bin"
    )
    timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10.0
    # WeCom's rate-limit errcodes carry no Retry-After: this is how long a send waits.
    rate_limit_retry_seconds: Annotated[float, Field(gt=0, le=3600)] = 30.0
    # Callbacks older or newer than this are refused (a replayed capture, a wrong clock).
    max_clock_skew_seconds: Annotated[int, Field(ge=10, le=3600)] = 300

    def secret(self) -> str:
        return _env(self.secret_env, "wecom.secret_env")

    def token(self) -> str:
        return _env(self.token_env, "wecom.token_env")

    def aes_key(self) -> bytes:
        """The AES-256 key: base64 of the EncodingAESKey with its missing "=" put back."""
        raw = _env(self.aes_key_env, "wecom.aes_key_env")
        try:
            key = base64.b64decode(raw + "=", validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(raw) != AES_KEY_LENGTH or len(key) != 32:
            raise WeComConfigError(
                f"wecom.aes_key_env: {self.aes_key_env} must hold the app's 43-character "
                "EncodingAESKey"
            )
        return key


class StoreWeComConfig(_Strict):
    """The store's app group chat: given, or created on demand (its id is then stored)."""

    chat_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{1,32}$")] | None = None


def _env(name: str, key: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise WeComConfigError(f"{key}: environment variable {name} is not set")
    return value


def check_wecom_env(config: WeComConfig | None) -> None:
    """Every secret the section names must be in the environment, in its shape, at start."""
    if config is None:
        return
    config.secret()
    config.token()
    config.aes_key()
