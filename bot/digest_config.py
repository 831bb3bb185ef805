"""Digest subscriptions and scheduler settings in the config file (`[[digests]]`, `[scheduler]`)."""

from __future__ import annotations

from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TARGET_PATTERN = r"^(slack:[CG][A-Z0-9]{2,}|console|file:.+)$"


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
            description="slack:<channel id>, console, or file:<directory>",
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
    # How often the leader looks for conversations past an SLA reminder or target.
    sla_interval_seconds: Annotated[float, Field(gt=0, le=300)] = 5.0
