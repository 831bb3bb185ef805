"""Config sections for the Lark / Feishu team workspace (`[lark]` and a store's `lark`).

Kept apart from `bot/config.py` so the adapter's settings and the checks of its secrets live
together. Feishu (China) and Lark (international) differ only in the API base URL.
"""

from __future__ import annotations

import os
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

FEISHU_API = "https://open.feishu.cn"
LARK_API = "https://open.larksuite.com"
CHAT_ID = r"^oc_[A-Za-z0-9]{1,60}$"
OPEN_ID = r"^ou_[A-Za-z0-9]{1,60}$"


class LarkConfigError(Exception):
    """A Lark secret named in the file is missing from the environment."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LarkConfig(_Strict):
    """A self-built Lark / Feishu app: its bot posts in store groups and receives events."""

    app_id: Annotated[str, Field(pattern=r"^cli_[A-Za-z0-9]{1,60}$")]
    app_secret_env: str = "LARK_APP_SECRET"
    verification_token_env: str = "LARK_VERIFICATION_TOKEN"
    encrypt_key_env: str | None = Field(
        default=None, description="env var of the Encrypt Key; events are then signed too"
    )
    api_base_url: Annotated[str, Field(pattern=r"^https?://")] = FEISHU_API
    timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10.0
    # Lark caps a bot at about 5 messages a second per group; stay under it.
    per_chat_rate_per_second: Annotated[float, Field(gt=0)] = 4.0
    burst: Annotated[int, Field(ge=1)] = 5
    max_clock_skew_seconds: Annotated[float, Field(ge=10, le=3600)] = 300.0

    def app_secret(self) -> str:
        return _env(self.app_secret_env, "lark.app_secret_env")

    def verification_token(self) -> str:
        return _env(self.verification_token_env, "lark.verification_token_env")

    def encrypt_key(self) -> str | None:
        if self.encrypt_key_env is None:
            return None
        return _env(self.encrypt_key_env, "lark.encrypt_key_env")

    def check_env(self) -> None:
        self.app_secret()
        self.verification_token()
        self.encrypt_key()


class StoreLarkConfig(_Strict):
    """The store's Lark group: configured, or created by the bot on first use (and stored)."""

    chat_id: Annotated[str, Field(pattern=CHAT_ID)] | None = Field(
        default=None, description="oc_...; left out: a group is created on demand"
    )


def _env(name: str, key: str) -> str:
    value = os.environ.get(name, "")
    if not value or not re.match(r"^\S+$", value):
        raise LarkConfigError(f"{key}: environment variable {name} is not set")
    return value
