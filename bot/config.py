"""The one configuration file, validated into typed settings; secrets come from the env."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.digest_config import DigestConfig, SchedulerConfig
from bot.domain.model import StoreMode
from bot.domain.permissions import Role

SLUG = r"^[a-z0-9][a-z0-9_-]{0,62}$"
DATABASE_URL_ENV = "STOREDESK_DATABASE_URL"


class ConfigError(Exception):
    """A configuration problem, worded as file, key and reason."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ToneConfig(_Strict):
    greeting: str = ""
    signoff: str = ""


class FaqEntry(_Strict):
    id: Annotated[str, Field(pattern=SLUG)] | None = None
    question: Annotated[str, Field(min_length=1)]
    answer: Annotated[str, Field(min_length=1)]
    language: str | None = None


class ChannelConfig(_Strict):
    id: Annotated[str, Field(pattern=SLUG)]
    kind: Literal["webchat", "webhook"]
    secret_env: str | None = None
    secret: str | None = Field(default=None, description="literal secret; demo files only")
    callback_url: str | None = None

    @model_validator(mode="after")
    def _webhook_needs_secret_and_callback(self) -> Self:
        if self.kind == "webhook":
            if not (self.secret_env or self.secret):
                raise ValueError("a webhook channel needs secret_env (or a literal demo secret)")
            if not self.callback_url:
                raise ValueError("a webhook channel needs callback_url for replies")
            if not re.match(r"^https?://", self.callback_url):
                raise ValueError("callback_url must be an http(s) URL")
        return self

    def resolve_secret(self) -> str:
        if self.secret_env:
            value = os.environ.get(self.secret_env)
            if not value:
                raise ConfigError(
                    f"channel {self.id}: environment variable {self.secret_env} is not set"
                )
            return value
        return self.secret or ""


class StoreSlackConfig(_Strict):
    channel: Annotated[str, Field(pattern=r"^[CG][A-Z0-9]{2,}$")]
    client_channel: Annotated[str, Field(pattern=r"^[CG][A-Z0-9]{2,}$")] | None = Field(
        default=None, description="read-only mirror for the store's client (no buttons)"
    )


class StoreConfig(_Strict):
    id: Annotated[str, Field(pattern=SLUG)]
    name: Annotated[str, Field(min_length=1)]
    brand: Annotated[str, Field(min_length=1)]
    region: str = "global"
    languages: Annotated[list[str], Field(min_length=1)]
    timezone: str = "UTC"
    mode: StoreMode = StoreMode.DRAFT
    client: str | None = None
    tone: dict[str, ToneConfig] = Field(default_factory=dict)
    channels: list[ChannelConfig] = Field(default_factory=list)
    faq: list[FaqEntry] = Field(default_factory=list)
    members: dict[str, Role] = Field(default_factory=dict)
    slack: StoreSlackConfig | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f"unknown timezone {value!r}") from None
        return value


class MemberConfig(_Strict):
    id: Annotated[str, Field(pattern=SLUG)]
    name: Annotated[str, Field(min_length=1)]
    email: str | None = None
    token_env: str | None = Field(default=None, description="env var holding the sign-in token")
    slack_user_id: Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{2,}$")] | None = None


class ServerConfig(_Strict):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8080
    public_url: str | None = None


class StorageConfig(_Strict):
    database_url: str = "sqlite+aiosqlite:///data/storedesk.db"
    data_dir: str = "data"


class ConsoleConfig(_Strict):
    demo_sign_in: bool = False
    secret_key_env: str = "STOREDESK_SECRET_KEY"
    session_hours: Annotated[int, Field(ge=1, le=24 * 30)] = 12


class OutboxConfig(_Strict):
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 8
    rate_per_second: Annotated[float, Field(gt=0)] = 5.0
    burst: Annotated[int, Field(ge=1)] = 10
    base_backoff_seconds: Annotated[float, Field(gt=0)] = 2.0
    max_backoff_seconds: Annotated[float, Field(gt=0)] = 600.0


class DraftingConfig(_Strict):
    min_score: Annotated[float, Field(ge=0, le=1)] = 0.25


class SlackConfig(_Strict):
    """Socket Mode when the app-level token is set, otherwise HTTP mode (needs the secret)."""

    bot_token_env: str = "SLACK_BOT_TOKEN"
    signing_secret_env: str = "SLACK_SIGNING_SECRET"
    app_token_env: str = "SLACK_APP_TOKEN"
    api_url: str = "https://slack.com/api/"
    rate_per_second: Annotated[float, Field(gt=0)] = 1.0
    burst: Annotated[int, Field(ge=1)] = 3
    timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10.0

    def bot_token(self) -> str:
        token = os.environ.get(self.bot_token_env, "")
        if not token.startswith("xoxb-"):
            raise ConfigError(f"slack: {self.bot_token_env} must hold a bot token (xoxb-...)")
        return token

    def app_token(self) -> str | None:
        return os.environ.get(self.app_token_env) or None

    def signing_secret(self) -> str:
        secret = os.environ.get(self.signing_secret_env, "")
        if not secret:
            raise ConfigError(
                f"slack: HTTP mode needs {self.signing_secret_env} (or set {self.app_token_env} "
                "for Socket Mode); requests are never accepted unsigned"
            )
        return secret


class Settings(_Strict):
    server: ServerConfig = ServerConfig()
    storage: StorageConfig = StorageConfig()
    console: ConsoleConfig = ConsoleConfig()
    outbox: OutboxConfig = OutboxConfig()
    drafting: DraftingConfig = DraftingConfig()
    slack: SlackConfig | None = None
    scheduler: SchedulerConfig = SchedulerConfig()
    digests: list[DigestConfig] = Field(default_factory=list)
    members: list[MemberConfig] = Field(default_factory=list)
    stores: Annotated[list[StoreConfig], Field(min_length=1)]

    @model_validator(mode="after")
    def _ids_unique_and_known(self) -> Self:
        _unique("stores", [s.id for s in self.stores])
        _unique("stores.channels", [c.id for s in self.stores for c in s.channels])
        _unique("members", [m.id for m in self.members])
        known = {m.id for m in self.members}
        for store in self.stores:
            for member_id in store.members:
                if member_id not in known:
                    raise ValueError(
                        f"store {store.id}: member {member_id!r} is not in [[members]]"
                    )
        return self

    @model_validator(mode="after")
    def _digests_name_known_stores(self) -> Self:
        _unique("digests", [d.id for d in self.digests])
        stores, clients = {s.id for s in self.stores}, {s.client for s in self.stores}
        for digest in self.digests:
            for store_id in digest.stores:
                if store_id not in stores:
                    raise ValueError(f"digest {digest.id}: store {store_id!r} is not in [[stores]]")
            if digest.client is not None and digest.client not in clients:
                raise ValueError(f"digest {digest.id}: no store has client {digest.client!r}")
            if digest.target.startswith("slack:") and self.slack is None:
                raise ValueError(f"digest {digest.id}: a slack target needs the [slack] section")
        return self

    @property
    def database_url(self) -> str:
        return os.environ.get(DATABASE_URL_ENV) or self.storage.database_url

    def store(self, store_id: str) -> StoreConfig | None:
        return next((s for s in self.stores if s.id == store_id), None)

    def channel(self, account_id: str) -> tuple[StoreConfig, ChannelConfig] | None:
        for store in self.stores:
            for channel in store.channels:
                if channel.id == account_id:
                    return store, channel
        return None


def _unique(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for value in ids:
        if value in seen:
            raise ValueError(f"{what}: id {value!r} is used twice")
        seen.add(value)


def _format_location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        else:
            parts.append(str(item))
    return ".".join(parts) or "(top level)"


def load_settings(path: str | Path) -> Settings:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except UnicodeDecodeError as problem:
        raise ConfigError(
            f"{path}: not UTF-8 text ({problem.reason} at byte {problem.start})"
        ) from None
    except OSError as problem:
        raise ConfigError(f"{path}: cannot be read: {problem.strerror or problem}") from None
    except tomllib.TOMLDecodeError as problem:
        raise ConfigError(f"{path}: not valid TOML: {problem}") from None
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as problem:
        first = problem.errors()[0]
        key = _format_location(tuple(first["loc"]))
        more = f" (and {problem.error_count() - 1} more)" if problem.error_count() > 1 else ""
        raise ConfigError(f"{path}: {key}: {first['msg']}{more}") from None
    if settings.slack is not None:
        try:
            settings.slack.bot_token()
            if settings.slack.app_token() is None:
                settings.slack.signing_secret()
        except ConfigError as problem:
            raise ConfigError(f"{path}: {problem}") from None
    for store in settings.stores:
        for channel in store.channels:
            try:
                channel.resolve_secret()
            except ConfigError as problem:
                raise ConfigError(
                    f"{path}: stores.{store.id}.channels.{channel.id}: {problem}"
                ) from None
    return settings
