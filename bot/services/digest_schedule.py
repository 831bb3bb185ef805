"""Digest schedules as people say them in a command: `daily 09:00`, `weekly mon 08:30`,
optionally followed by a timezone and store ids: `daily 09:00 Europe/Berlin nw nw2`.

One parser for every surface (Slack `/storedesk digest`, Telegram `/digest`, the console)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.errors import InvalidInput

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
USAGE = (
    "digest daily HH:MM [timezone] [store…], or digest weekly <mon..sun> HH:MM [timezone] [store…]"
)


@dataclass(frozen=True)
class DigestSchedule:
    cadence: str  # "day" | "week"
    cron: str
    said: str  # how to repeat it back: "daily at 09:00"


def parse_schedule(words: Sequence[str]) -> DigestSchedule:
    words = [w.lower() for w in words]
    if len(words) == 2 and words[0] == "daily":
        hour, minute = _time(words[1])
        return DigestSchedule("day", f"{minute} {hour} * * *", f"daily at {hour:02d}:{minute:02d}")
    if len(words) == 3 and words[0] == "weekly" and words[1][:3] in DAYS:
        hour, minute = _time(words[2])
        day = words[1][:3]
        return DigestSchedule(
            "week", f"{minute} {hour} * * {day}", f"every {day} at {hour:02d}:{minute:02d}"
        )
    raise InvalidInput(f"schedule: say {USAGE}")


def _time(word: str) -> tuple[int, int]:
    match = _TIME.match(word)
    if match is None:
        raise InvalidInput(f"time: {word!r} is not HH:MM (24-hour)")
    return int(match.group(1)), int(match.group(2))


@dataclass(frozen=True)
class DigestRequest:
    """A subscription as asked for: when, in which timezone (None: the store's), which
    stores (empty: the place the command was given in)."""

    schedule: DigestSchedule
    timezone: str | None
    store_ids: tuple[str, ...]


def parse_request(words: Sequence[str]) -> DigestRequest:
    count = 3 if words and words[0].lower() == "weekly" else 2
    schedule = parse_schedule(words[:count])
    rest = list(words[count:])
    timezone = None
    if rest and ("/" in rest[0] or rest[0].upper() in ("UTC", "GMT")):
        timezone = _timezone(rest.pop(0))
    return DigestRequest(schedule, timezone, tuple(dict.fromkeys(rest)))


def _timezone(word: str) -> str:
    name = "UTC" if word.upper() in ("UTC", "GMT") else word
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(f"timezone: {word!r} is unknown (say e.g. Europe/Berlin)") from None
    return name
