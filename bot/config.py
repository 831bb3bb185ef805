"""The one configuration file, validated into typed settings; secrets come from the env."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.config_ai import (
    OpenAIConfig,
    RiskPolicyConfig,
    SummariesConfig,
    TemplateConfig,
    TriageConfig,
)
from bot.config_lark import OPEN_ID, LarkConfig, LarkConfigError, StoreLarkConfig
from bot.config_sales import SalesConfig, StoreSalesConfig, check_recommend_from
from bot.config_wecom import StoreWeComConfig, WeComConfig, WeComConfigError, check_wecom_env
from bot.digest_config import DigestConfig, DigestEmailConfig, SchedulerConfig
from bot.domain.model import StoreMode
from bot.domain.permissions import Role
from bot.routing_config import RoutingConfig, SlaConfig, TeamConfig, check_routing

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


class WhatsAppConfig(_Strict):
    """A WhatsApp Cloud API number; the channel's `secret_env` is the Meta app secret."""

    phone_number_id: Annotated[str, Field(pattern=r"^[0-9]{1,30}$")]
    access_token_env: str = "WHATSAPP_ACCESS_TOKEN"
    verify_token_env: str = "WHATSAPP_VERIFY_TOKEN"
    api_url: Annotated[str, Field(pattern=r"^https?://")] = "https://graph.facebook.com/v21.0"
    template: str | None = Field(
        default=None, description="approved template (one body variable) for replies after 24h"
    )
    template_language: str = "en_US"
    timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10.0

    def access_token(self) -> str:
        return _required_env(self.access_token_env, "whatsapp.access_token_env") or ""

    def verify_token(self) -> str:
        return _required_env(self.verify_token_env, "whatsapp.verify_token_env") or ""


class EmailConfig(_Strict):
    """One mailbox: IMAP for what customers write, SMTP for the replies."""

    address: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]
    display_name: str = ""
    username: str | None = Field(default=None, description="defaults to address")
    password_env: str | None = None
    password: str | None = Field(default=None, description="literal; demo files only")
    imap_host: str
    imap_port: Annotated[int, Field(ge=1, le=65535)] = 993
    imap_tls: bool = True
    mailbox: str = "INBOX"
    smtp_host: str
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    poll_seconds: Annotated[float, Field(gt=0, le=3600)] = 30.0
    timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 20.0
    idle: bool = Field(default=True, description="wait in IMAP IDLE when the server offers it")
    # RFC 2177: servers may drop a client idle for 30 minutes, so IDLE is re-issued sooner.
    idle_seconds: Annotated[float, Field(gt=0, le=1740)] = 1500.0

    def resolve_password(self) -> str:
        return _required_env(self.password_env, "email.password_env") or self.password or ""


class ChannelConfig(_Strict):
    id: Annotated[str, Field(pattern=SLUG)]
    kind: Literal["webchat", "webhook", "whatsapp", "email", "telegram"]
    secret_env: str | None = None
    secret: str | None = Field(default=None, description="literal secret; demo files only")
    callback_url: str | None = None
    whatsapp: WhatsAppConfig | None = None
    email: EmailConfig | None = None
    token_env: str | None = Field(default=None, description="telegram: env var of the bot token")
    secret_token_env: str | None = Field(
        default=None, description="telegram: env var of the webhook secret_token"
    )
    api_base_url: str | None = Field(default=None, description="telegram: Bot API server")

    @model_validator(mode="after")
    def _webhook_needs_secret_and_callback(self) -> Self:
        if self.kind == "webhook":
            if not (self.secret_env or self.secret):
                raise ValueError("a webhook channel needs secret_env (or a literal demo secret)")
            if not self.callback_url:
                raise ValueError("a webhook channel needs callback_url for replies")
            if not re.match(r"^https?://", self.callback_url):
                raise ValueError("callback_url must be an http(s) URL")
        if self.kind == "whatsapp":
            if not (self.secret_env or self.secret):
                raise ValueError("a whatsapp channel needs secret_env (the Meta app secret)")
            if self.whatsapp is None:
                raise ValueError("a whatsapp channel needs a whatsapp section (phone_number_id)")
        if self.kind == "email" and self.email is None:
            raise ValueError("an email channel needs an email section (address, imap/smtp)")
        if self.kind == "telegram" and not self.token_env:
            raise ValueError("a telegram channel needs token_env (the store bot's token)")
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


class LookupConfig(_Strict):
    """A store's read-only back office: Shopify Admin API, any HTTP JSON API, or a CSV file."""

    kind: Literal["shopify", "http", "csv"]
    base_url: Annotated[str, Field(pattern=r"^https?://")] | None = Field(
        default=None, description="shopify: https://<shop>.myshopify.com"
    )
    api_version: str = "2024-10"
    order_url: str | None = Field(default=None, description="http: URL with {order_number}")
    email_url: str | None = Field(default=None, description="http: URL with {email}")
    result_path: str = Field(default="", description="http: dotted path to the order object")
    fields: dict[str, str] = Field(
        default_factory=dict, description="http: draft variable -> dotted path in the order"
    )
    auth_header: str = "Authorization"
    auth_prefix: str = "Bearer "
    token_env: str | None = Field(default=None, description="env var with the API token")
    path: str | None = Field(default=None, description="csv: file with an order_number column")
    webhook_secret_env: str | None = Field(
        default=None, description="shopify: env var with the app secret signing webhooks"
    )
    webhook_secret: str | None = Field(default=None, description="literal; demo files only")
    timeout_seconds: Annotated[float, Field(gt=0, le=30)] = 5.0
    cache_seconds: Annotated[float, Field(ge=0, le=3600)] = 60.0

    @model_validator(mode="after")
    def _kind_needs_its_keys(self) -> Self:
        if self.kind == "csv" and not self.path:
            raise ValueError("a csv lookup needs path")
        if self.kind == "http" and not (self.order_url or self.email_url):
            raise ValueError("an http lookup needs order_url or email_url")
        for url in (self.order_url, self.email_url):
            if url and not re.match(r"^https?://", url):
                raise ValueError("order_url and email_url must be http(s) URLs")
        if self.kind == "shopify" and not self.base_url:
            raise ValueError("a shopify lookup needs base_url (https://<shop>.myshopify.com)")
        return self

    def token(self) -> str | None:
        return _required_env(self.token_env, "lookup.token_env")

    def resolve_webhook_secret(self) -> str | None:
        return _required_env(self.webhook_secret_env, "lookup.webhook_secret_env") or (
            self.webhook_secret
        )


def _required_env(name: str | None, key: str) -> str | None:
    """None when no variable is named; a named but unset variable is a config error."""
    if not name:
        return None
    value = os.environ.get(name)
    if not value:
        raise ConfigError(f"{key}: environment variable {name} is not set")
    return value


class StoreSlackConfig(_Strict):
    channel: Annotated[str, Field(pattern=r"^[CG][A-Z0-9]{2,}$")]
    client_channel: Annotated[str, Field(pattern=r"^[CG][A-Z0-9]{2,}$")] | None = Field(
        default=None, description="read-only mirror for the store's client (no buttons)"
    )


class StoreTelegramConfig(_Strict):
    """Where the team sees this store in Telegram: a topic of a forum supergroup, or a group."""

    chat_id: int
    topics: bool = Field(default=True, description="one forum topic per store, made on demand")


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
    lookup: LookupConfig | None = None
    risk: RiskPolicyConfig = RiskPolicyConfig()
    templates: list[TemplateConfig] = Field(default_factory=list)
    telegram: StoreTelegramConfig | None = None
    lark: StoreLarkConfig | None = None
    wecom: StoreWeComConfig | None = None
    sales: StoreSalesConfig | None = None
    # Erase personal data of conversations resolved longer ago than this (docs/customer-profile.md).
    retention_days: Annotated[int, Field(ge=1)] | None = None
    routing: RoutingConfig | None = None
    sla: SlaConfig | None = Field(default=None, description="no section: no SLA timers")

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
    telegram_user_id: Annotated[int, Field(gt=0)] | None = None
    lark_open_id: Annotated[str, Field(pattern=OPEN_ID)] | None = None
    wecom_user_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_@.-]{1,64}$")] | None = None
    languages: list[str] = Field(default_factory=list, description="routing: empty is any")
    skills: list[str] = Field(default_factory=list, description="routing: skill tags")
    role: Role | None = Field(
        default=None, description="a role in every store (client and store grants are narrower)"
    )


class ClientConfig(_Strict):
    """An agency's customer: owns stores; its members' roles reach all of its stores."""

    id: Annotated[str, Field(pattern=SLUG)]
    name: Annotated[str, Field(min_length=1)]
    members: dict[str, Role] = Field(default_factory=dict)


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
    # How long a claimed row stays with its worker; after that (the worker died) another
    # instance takes it over. Longer than the slowest platform call.
    lease_seconds: Annotated[float, Field(ge=5)] = 60.0


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


class TelegramConfig(_Strict):
    """Telegram on both sides: store bots (customer channels) and the team bot (workspace).

    Webhooks when `server.public_url` is set, long polling otherwise (or when `polling`).
    """

    api_base_url: str = "https://api.telegram.org"
    polling: bool | None = None
    poll_timeout_seconds: Annotated[float, Field(ge=0, le=50)] = 25.0
    request_timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 30.0
    max_media_bytes: Annotated[int, Field(ge=0, le=20 * 1024 * 1024)] = 10 * 1024 * 1024
    per_chat_rate_per_second: Annotated[float, Field(gt=0)] = 1.0
    team_bot_token_env: str | None = None
    team_secret_token_env: str | None = None

    def use_polling(self, public_url: str | None) -> bool:
        return self.polling if self.polling is not None else not public_url


TELEGRAM_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
TELEGRAM_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def telegram_token(env_name: str, where: str) -> str:
    token = os.environ.get(env_name, "")
    if not TELEGRAM_TOKEN_SHAPE.match(token):
        raise ConfigError(f"{where}: {env_name} must hold a bot token from BotFather (123:ABC...)")
    return token


def telegram_secret(env_name: str | None, where: str) -> str | None:
    if env_name is None:
        return None
    secret = os.environ.get(env_name, "")
    if not TELEGRAM_SECRET_SHAPE.match(secret):
        raise ConfigError(
            f"{where}: {env_name} must hold a webhook secret of 1-256 characters A-Z a-z 0-9 _ -"
        )
    return secret


def _check_telegram_env(settings: Settings) -> None:
    """Tokens and webhook secrets named in the file must be in the environment at start."""
    for store in settings.stores:
        for channel in store.channels:
            if channel.kind == "telegram" and channel.token_env:
                where = f"stores.{store.id}.channels.{channel.id}"
                telegram_token(channel.token_env, where)
                telegram_secret(channel.secret_token_env, where)
    if settings.telegram is not None and settings.telegram.team_bot_token_env:
        telegram_token(settings.telegram.team_bot_token_env, "telegram.team_bot_token_env")
        telegram_secret(settings.telegram.team_secret_token_env, "telegram.team_secret_token_env")


class Settings(_Strict):
    server: ServerConfig = ServerConfig()
    storage: StorageConfig = StorageConfig()
    console: ConsoleConfig = ConsoleConfig()
    outbox: OutboxConfig = OutboxConfig()
    drafting: DraftingConfig = DraftingConfig()
    slack: SlackConfig | None = None
    triage: TriageConfig = TriageConfig()
    openai: OpenAIConfig = OpenAIConfig()
    summaries: SummariesConfig = SummariesConfig()
    telegram: TelegramConfig | None = None
    lark: LarkConfig | None = None
    wecom: WeComConfig | None = None
    scheduler: SchedulerConfig = SchedulerConfig()
    digests: list[DigestConfig] = Field(default_factory=list)
    sales: SalesConfig = SalesConfig()
    digest_email: DigestEmailConfig | None = None
    members: list[MemberConfig] = Field(default_factory=list)
    clients: list[ClientConfig] = Field(default_factory=list)
    teams: list[TeamConfig] = Field(default_factory=list)
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
    def _clients_known(self) -> Self:
        _unique("clients", [c.id for c in self.clients])
        known_members = {m.id for m in self.members}
        for client in self.clients:
            for member_id in client.members:
                if member_id not in known_members:
                    raise ValueError(
                        f"client {client.id}: member {member_id!r} is not in [[members]]"
                    )
        declared = {c.id for c in self.clients}
        if declared:
            for store in self.stores:
                if store.client is not None and store.client not in declared:
                    raise ValueError(
                        f"store {store.id}: client {store.client!r} is not in [[clients]]"
                    )
        return self

    @model_validator(mode="after")
    def _wecom_stores_have_a_group(self) -> Self:
        with_ids = {m.id for m in self.members if m.wecom_user_id}
        for store in self.stores:
            if store.wecom is None:
                continue
            if self.wecom is None:
                raise ValueError(f"store {store.id}: a wecom group needs the [wecom] section")
            if store.wecom.chat_id is None and len(with_ids & set(store.members)) < 2:
                raise ValueError(
                    f"store {store.id}: wecom needs chat_id, or two store members with "
                    "wecom_user_id to create the group with"
                )
        return self

    @model_validator(mode="after")
    def _routing_names_known_people(self) -> Self:
        check_routing(self.teams, [m.id for m in self.members], self.stores)
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
            if digest.target.startswith("email:") and self.digest_email is None:
                raise ValueError(f"digest {digest.id}: an email target needs [digest_email]")
            if digest.target.startswith("telegram:") and not (
                self.telegram and self.telegram.team_bot_token_env
            ):
                raise ValueError(
                    f"digest {digest.id}: a telegram target needs telegram.team_bot_token_env"
                )
        return self

    @model_validator(mode="after")
    def _lark_stores_need_the_app(self) -> Self:
        for store in self.stores:
            if store.lark is not None and self.lark is None:
                raise ValueError(f"store {store.id}: a lark group needs the [lark] section")
        return self

    @model_validator(mode="after")
    def _sister_stores_share_a_client(self) -> Self:
        check_recommend_from(self.stores)
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
        if store.lookup is not None:
            try:
                store.lookup.token()
                store.lookup.resolve_webhook_secret()
            except ConfigError as problem:
                raise ConfigError(f"{path}: stores.{store.id}.{problem}") from None
        for channel in store.channels:
            try:
                channel.resolve_secret()
                if channel.whatsapp is not None:
                    channel.whatsapp.access_token()
                    channel.whatsapp.verify_token()
                if channel.email is not None:
                    channel.email.resolve_password()
            except ConfigError as problem:
                raise ConfigError(
                    f"{path}: stores.{store.id}.channels.{channel.id}: {problem}"
                ) from None
    try:
        _check_telegram_env(settings)
        if settings.lark is not None:
            settings.lark.check_env()
        check_wecom_env(settings.wecom)
    except (ConfigError, LarkConfigError, WeComConfigError) as problem:
        raise ConfigError(f"{path}: {problem}") from None
    return settings
