"""Digest subscriptions and scheduler settings in the config file (`[[digests]]`, `[scheduler]`)."""

from __future__ import annotations

import os
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TARGET_PATTERN = (
    r"^(slack:[CG][A-Z0-9]{2,}|telegram:-?[0-9]{1,20}|email:[^@\s,]+@[^@\s,]+"
    r"(,[^@\s,]+@[^@\s,]+)*|console|file:.+)$"
)


def check_cron(value: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value, timezone="UTC")
    except ValueError as problem:
        raise ValueError(f"not a 5-field cron expression ({problem})") from None
    return value


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown timezone {value!r}") from None
    return value


class DigestConfig(BaseModel):
    """One subscription: who gets which stores' digest, where, and when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
    target: Annotated[
        str,
        Field(
            pattern=TARGET_PATTERN,
            description=(
                "slack:<channel id>, telegram:<chat id>, email:<address>[,<address>…], "
                "console, or file:<directory>"
            ),
        ),
    ]
    stores: list[str] = Field(default_factory=list)
    client: str | None = None
    cron: str = "0 9 * * *"
    timezone: str = "UTC"
    cadence: Literal["day", "week"] = "day"

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        return check_cron(value)

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        return check_timezone(value)

    @model_validator(mode="after")
    def _one_scope(self) -> Self:
        if bool(self.stores) == bool(self.client):
            raise ValueError("give either stores or client, not both and not neither")
        return self


class SchedulerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    # How often a follower tries to become leader, and the leader re-reads subscriptions.
    poll_seconds: Annotated[float, Field(gt=0, le=3600)] = 15.0
    # A digest run whose worker died is taken over after this long.
    lease_seconds: Annotated[float, Field(gt=0, le=86400)] = 600.0
    # How often the leader retires knowledge articles whose valid_until has passed.
    knowledge_expiry_seconds: Annotated[float, Field(gt=0, le=86400)] = 60.0
    # How often the leader looks for conversations past an SLA reminder or target.
    sla_interval_seconds: Annotated[float, Field(gt=0, le=300)] = 5.0


class DigestEmailConfig(BaseModel):
    """`[digest_email]`: the SMTP account digests are mailed from (like an email channel's)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]
    display_name: str = "Storedesk digests"
    username: str | None = Field(default=None, description="defaults to address")
    password_env: str | None = None
    password: str | None = Field(default=None, description="literal; demo files only")
    smtp_host: str
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 20.0

    def resolve_password(self) -> str:
        if self.password_env:
            value = os.environ.get(self.password_env)
            if not value:
                name = self.password_env
                raise ValueError(f"digest_email.password_env: variable {name} is not set")
            return value
        return self.password or ""

    def login(self) -> str | None:
        """Log in only when a password is configured (a local relay may take mail without)."""
        return (self.username or self.address) if self.resolve_password() else None
