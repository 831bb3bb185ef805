"""Check Telegram Bot API calls and objects against the Bot API JSON spec.

The spec is `tests/specs/telegram/bot_api.json` (Bot API 10.1, MIT, see the README there).
Each method lists `fields` with `types` (e.g. `["Integer", "String"]`, `"Array of
MessageEntity"`, `"InlineKeyboardMarkup"`) and `required`; each type lists its fields the same
way, or `subtypes` for unions such as `MaybeInaccessibleMessage`.

Both client libraries send parameters form-encoded (multipart when a file goes along): plain
strings stay strings, numbers and booleans arrive as text, objects and arrays as JSON text.
`check_call(method, params, files)` therefore accepts an Integer given as `"42"` and parses
JSON text where the spec wants an object or array, then checks that value recursively.

Limits the spec states only in prose are checked explicitly: message text 1-4096
characters, captions up to 1024, callback data 1-64 bytes, topic names 1-128 characters.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parent.parent / "specs" / "telegram" / "bot_api.json"

TEXT_LIMITS = {("sendMessage", "text"): 4096, ("editMessageText", "text"): 4096}
CAPTION_LIMIT = 1024
CALLBACK_DATA_BYTES = 64
TOPIC_NAME_LIMIT = 128


@lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def check_call(
    method: str, params: dict[str, Any], files: frozenset[str] = frozenset()
) -> list[str]:
    """Problems with one call (empty when the Bot API accepts it)."""
    described = spec()["methods"].get(method)
    if described is None:
        return [f"unknown method {method}"]
    problems: list[str] = []
    fields = {f["name"]: f for f in described.get("fields", [])}
    for name, field in fields.items():
        if field["required"] and name not in params and name not in files:
            problems.append(f"{method}: required parameter {name} is missing")
    for name, value in params.items():
        field = fields.get(name)
        if field is None:
            problems.append(f"{method}: unknown parameter {name}")
            continue
        if isinstance(value, str) and value.startswith("attach://"):
            if "InputFile" not in field["types"]:
                problems.append(f"{method}.{name}: a file where the spec wants {field['types']}")
            elif value[len("attach://") :] not in files:
                problems.append(f"{method}.{name}: attaches a part that was not sent")
            continue
        problems.extend(check_value(f"{method}.{name}", value, field["types"], from_form=True))
    for name in files:
        field = fields.get(name)
        if field is not None and "InputFile" not in field["types"]:
            problems.append(f"{method}.{name}: a file part where the spec wants {field['types']}")
    problems.extend(_prose_limits(method, params))
    return problems


def check_object(type_name: str, value: Any) -> list[str]:
    """Problems with an object (an update, a response) against a spec type."""
    return check_value(type_name, value, [type_name], from_form=False)


def check_value(where: str, value: Any, types: list[str], *, from_form: bool) -> list[str]:
    attempts: list[list[str]] = []
    for type_name in types:
        found = _check_one(where, value, type_name, from_form=from_form)
        if not found:
            return []
        attempts.append(found)
    # None fits: report the nearest alternative (fewest problems), which is the one meant.
    return min(attempts, key=len)


def _check_one(where: str, value: Any, type_name: str, *, from_form: bool) -> list[str]:
    if type_name.startswith("Array of "):
        if from_form and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return [f"{where}: not JSON text for {type_name}"]
        if not isinstance(value, list):
            return [f"{where}: expected {type_name}"]
        inner = type_name[len("Array of ") :]
        problems: list[str] = []
        for index, item in enumerate(value):
            problems.extend(_check_one(f"{where}[{index}]", item, inner, from_form=False))
        return problems
    if type_name == "Integer":
        if from_form and isinstance(value, str):
            return [] if _is_int(value) else [f"{where}: {value!r} is not an Integer"]
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{where}: {value!r} is not an Integer"]
    if type_name == "Float":
        if from_form and isinstance(value, str):
            return [] if _is_float(value) else [f"{where}: {value!r} is not a Float"]
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{where}: {value!r} is not a Float"]
    if type_name in ("Boolean", "True"):
        if from_form and isinstance(value, str):
            ok = (
                value in ("true", "false", "True", "False")
                if type_name == "Boolean"
                else (value in ("true", "True"))
            )
            return [] if ok else [f"{where}: {value!r} is not {type_name}"]
        ok = isinstance(value, bool) and (type_name == "Boolean" or value is True)
        return [] if ok else [f"{where}: {value!r} is not {type_name}"]
    if type_name == "String":
        return [] if isinstance(value, str) else [f"{where}: {value!r} is not a String"]
    if type_name == "InputFile":
        return [f"{where}: an InputFile must be sent as a file part"]
    described = spec()["types"].get(type_name)
    if described is None:
        return [f"{where}: unknown type {type_name}"]
    if from_form and isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [f"{where}: not JSON text for {type_name}"]
    if described.get("subtypes"):
        return check_value(where, value, described["subtypes"], from_form=False)
    if not isinstance(value, dict):
        return [f"{where}: expected a {type_name} object"]
    problems = []
    fields = {f["name"]: f for f in described.get("fields", [])}
    for name, field in fields.items():
        if field["required"] and name not in value:
            problems.append(f"{where}: {type_name}.{name} is missing")
    for name, item in value.items():
        field = fields.get(name)
        if field is None:
            problems.append(f"{where}: {type_name} has no field {name}")
            continue
        problems.extend(check_value(f"{where}.{name}", item, field["types"], from_form=False))
    if type_name == "InlineKeyboardButton" and "callback_data" in value:
        size = len(str(value["callback_data"]).encode())
        if not 1 <= size <= CALLBACK_DATA_BYTES:
            problems.append(f"{where}: callback_data is {size} bytes (1-64 allowed)")
    return problems


def _prose_limits(method: str, params: dict[str, Any]) -> list[str]:
    problems = []
    for (limited, name), limit in TEXT_LIMITS.items():
        if method == limited and name in params:
            length = len(str(params[name]))
            if not 1 <= length <= limit:
                problems.append(f"{method}.{name}: {length} characters (1-{limit} allowed)")
    if "caption" in params and len(str(params["caption"])) > CAPTION_LIMIT:
        problems.append(f"{method}.caption: longer than {CAPTION_LIMIT} characters")
    if method == "createForumTopic" and not 1 <= len(str(params.get("name", ""))) <= 128:
        problems.append(f"{method}.name: must be 1-{TOPIC_NAME_LIMIT} characters")
    return problems


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
