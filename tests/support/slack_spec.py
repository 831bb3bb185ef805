"""Check a Slack Web API call against Slack's own OpenAPI description of the Web API.

The spec is `tests/specs/slack/web_api_openapi_v2.json`, copied (with its MIT licence, in
the same folder) from slackapi/slack-api-specs @ bc08db4, the last published version (2021).
It is OpenAPI 2: each path `/<method>` has one operation whose `parameters` list entries
`{"name", "in": "formData" | "query" | "header", "type", "required"}`, and whose
`consumes` says whether the method takes `application/json` bodies.

`check_call(method, params, headers)` returns a list of readable problems (empty when the
call is one Slack accepts):

- unknown method, unless it is in `NEWER_METHODS` (methods newer than the spec, checked
  against slack_sdk's own `AsyncWebClient` signature instead);
- a required parameter missing (`token` counts as present when an `Authorization: Bearer`
  header is sent, which is how slack_sdk sends it);
- an unknown parameter, unless it is in `NEWER_PARAMS` (parameters newer than the spec);
- a value of the wrong type (`string`, `integer`, `number`, `boolean`), where values may
  be strings (form or query encoding) or JSON values (JSON bodies); JSON-encoded
  parameters (`blocks`, `attachments`, `view`, `metadata`, ...) may arrive as JSON text or
  as already-parsed JSON and are checked for their basic shape;
- a JSON body sent to a method whose spec does not accept `application/json` (Slack
  ignores the arguments of such a body).

Where the spec is wrong or out of date the deviation is listed below with the reason.
"""

from __future__ import annotations

import inspect
import json
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parent.parent / "specs" / "slack" / "web_api_openapi_v2.json"

# Methods newer than the 2021 spec. Each is checked against slack_sdk's own
# `AsyncWebClient.<method with "." replaced by "_">` signature instead of the spec: its
# keyword parameters are the known parameters, those without a default are required, and
# `int`/`bool`/`str` annotations give the types (anything else is sent pre-encoded by
# slack_sdk, e.g. `files` as JSON text and `channels` as a comma-separated string, and is
# only checked for presence).
NEWER_METHODS: frozenset[str] = frozenset(
    {
        # files.getUploadURLExternal: step 1 of files_upload_v2 (2023); replaces files.upload.
        "files.getUploadURLExternal",
        # files.completeUploadExternal: step 3 of files_upload_v2 (2023).
        "files.completeUploadExternal",
    }
)

# Parameters newer than the spec, per method, with the type Slack documents for them now.
# Each one is also a named parameter of slack_sdk's AsyncWebClient method of the same name
# (tests/unit/test_fake_slack.py checks that).
NEWER_PARAMS: dict[str, dict[str, str]] = {
    "auth.test": {
        # team_id: slack-bolt's authorize step sends it (org-wide installs); slack_sdk's
        # auth_test accepts **kwargs and passes it through.
        "team_id": "string",
    },
    "conversations.history": {
        # As on conversations.replies: return message metadata too.
        "include_all_metadata": "boolean",
    },
    "chat.postMessage": {
        # Message metadata (2022): {"event_type": str, "event_payload": object}; stored with
        # the message and returned by conversations.replies with include_all_metadata.
        "metadata": "json",
        # markdown_text (2025): a message body in standard markdown instead of text/blocks.
        "markdown_text": "string",
    },
    "chat.update": {
        # Message metadata (2022), as on chat.postMessage.
        "metadata": "json",
        # markdown_text (2025), as on chat.postMessage.
        "markdown_text": "string",
        # file_ids: attach already-uploaded files (comma-separated IDs) when editing.
        "file_ids": "string",
        # reply_broadcast: also show an edited thread reply in the channel.
        "reply_broadcast": "boolean",
    },
    "chat.postEphemeral": {
        # markdown_text (2025), as on chat.postMessage.
        "markdown_text": "string",
    },
    "conversations.replies": {
        # include_all_metadata (2022): return each message's metadata.
        "include_all_metadata": "boolean",
    },
    "views.open": {
        # interactivity_pointer: the newer alternative to trigger_id (see ALTERNATIVES).
        "interactivity_pointer": "string",
    },
}

# Where the spec's type disagrees with Slack's documentation and with what slack_sdk sends
# (a JSON boolean in a JSON body), the documented type wins.
TYPE_OVERRIDES: dict[tuple[str, str], str] = {
    # The spec says string; Slack documents a boolean and slack_sdk types it `bool`.
    ("chat.postMessage", "as_user"): "boolean",
    ("chat.update", "as_user"): "boolean",
    ("chat.update", "link_names"): "boolean",
}

# A required parameter that another one can stand in for.
ALTERNATIVES: dict[tuple[str, str], tuple[str, ...]] = {
    # views.open: Slack takes either trigger_id or interactivity_pointer (slack_sdk makes
    # both optional); the 2021 spec only knows trigger_id and marks it required.
    ("views.open", "trigger_id"): ("interactivity_pointer",),
}

# Parameters whose value is JSON: form encoding carries them as JSON text, a JSON body may
# carry them as parsed JSON. The value is the JSON shape Slack expects.
JSON_ENCODED_PARAMS: dict[str, type] = {
    "blocks": list,
    "user_auth_blocks": list,
    "attachments": list,
    "view": dict,
    "metadata": dict,
}

_INT_RE = re.compile(r"^[+-]?\d+$")
_BOOL_STRINGS = frozenset({"true", "false", "1", "0"})


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: str  # "string" | "integer" | "number" | "boolean" | "json" | "any"
    required: bool
    location: str  # "formData" | "query" | "header" | "sdk"


@dataclass(frozen=True)
class MethodSpec:
    name: str
    params: Mapping[str, ParamSpec]
    accepts_json: bool
    source: str  # "spec" or "slack_sdk"


@lru_cache(maxsize=1)
def load_spec() -> dict[str, Any]:
    """The raw OpenAPI document, read once per process."""
    with SPEC_PATH.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = json.load(handle)
    return spec


@lru_cache(maxsize=1)
def _spec_methods() -> dict[str, MethodSpec]:
    methods: dict[str, MethodSpec] = {}
    for path, operations in load_spec()["paths"].items():
        name = path.lstrip("/")
        for operation in operations.values():
            params: dict[str, ParamSpec] = {}
            for raw in operation.get("parameters", []):
                param_type = TYPE_OVERRIDES.get((name, raw["name"]), raw.get("type", "string"))
                if raw["name"] in JSON_ENCODED_PARAMS:
                    param_type = "json"
                params[raw["name"]] = ParamSpec(
                    name=raw["name"],
                    type=param_type,
                    required=bool(raw.get("required", False)),
                    location=raw["in"],
                )
            for extra, extra_type in NEWER_PARAMS.get(name, {}).items():
                params.setdefault(extra, ParamSpec(extra, extra_type, False, "newer"))
            methods[name] = MethodSpec(
                name=name,
                params=params,
                accepts_json="application/json" in operation.get("consumes", []),
                source="spec",
            )
    return methods


def _annotation_type(annotation: Any) -> str:
    """Map a slack_sdk parameter annotation to a spec type name."""
    if isinstance(annotation, str):  # a postponed annotation: presence is checked only
        return "any"
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        non_none = [arg for arg in args if arg is not type(None)]
        if len(non_none) == 1:
            return _annotation_type(non_none[0])
        return "any"
    if annotation is bool:
        return "boolean"
    if annotation is int:
        return "integer"
    if annotation is str:
        return "string"
    return "any"


@lru_cache(maxsize=64)
def sdk_method_spec(method: str) -> MethodSpec | None:
    """A method's parameters as slack_sdk's AsyncWebClient signature declares them."""
    from slack_sdk.web.async_client import AsyncWebClient

    function = getattr(AsyncWebClient, method.replace(".", "_"), None)
    if function is None:
        return None
    params: dict[str, ParamSpec] = {
        "token": ParamSpec("token", "string", True, "header"),
    }
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue  # self and **kwargs
        params[parameter.name] = ParamSpec(
            name=parameter.name,
            type=_annotation_type(parameter.annotation),
            required=parameter.default is inspect.Parameter.empty,
            location="sdk",
        )
    return MethodSpec(name=method, params=params, accepts_json=True, source="slack_sdk")


def method_spec(method: str) -> MethodSpec | None:
    """What the checks use for `method`: the spec, or slack_sdk for NEWER_METHODS."""
    if method in NEWER_METHODS:
        return sdk_method_spec(method)
    return _spec_methods().get(method)


def known_methods() -> frozenset[str]:
    return frozenset(_spec_methods()) | NEWER_METHODS


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def has_bearer_token(headers: Mapping[str, str] | None) -> bool:
    value = _header(headers, "Authorization") or ""
    scheme, _, token = value.partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


def _type_problem(name: str, expected: str, value: Any) -> str | None:
    """Why `value` is not a valid `expected`, or None when it is."""
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    if value is None:
        return f"parameter {name!r} is null (slack_sdk drops None; Slack rejects null)"
    if expected == "any":
        return None
    if expected == "string":
        if isinstance(value, str):
            return None
        return f"parameter {name!r} should be a string, got {type(value).__name__} {shown}"
    if expected == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return None
        if isinstance(value, str) and _INT_RE.match(value.strip()):
            return None
        return f"parameter {name!r} should be an integer, got {shown}"
    if expected == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return None
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                pass
            else:
                return None
        return f"parameter {name!r} should be a number, got {shown}"
    if expected == "boolean":
        if isinstance(value, bool):
            return None
        if isinstance(value, str) and value.strip().lower() in _BOOL_STRINGS:
            return None
        return f"parameter {name!r} should be a boolean (true/false/1/0), got {shown}"
    if expected == "json":
        return _json_problem(name, value)
    return None


def _json_problem(name: str, value: Any) -> str | None:
    parsed = value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return f"parameter {name!r} should be JSON, got unparsable text {value[:60]!r}"
    shape = JSON_ENCODED_PARAMS.get(name)
    if shape is not None and not isinstance(parsed, shape):
        wanted = "an array" if shape is list else "an object"
        return f"parameter {name!r} should be {wanted}, got {type(parsed).__name__}"
    if name in {"blocks", "user_auth_blocks", "attachments"}:
        for index, item in enumerate(parsed):
            if not isinstance(item, dict):
                return f"parameter {name!r} item {index} should be an object"
            if name != "attachments" and not isinstance(item.get("type"), str):
                return f"parameter {name!r} item {index} has no 'type'"
    if name == "view" and not isinstance(parsed.get("type"), str):
        return "parameter 'view' has no 'type' (modal or home)"
    if name == "metadata":
        if not isinstance(parsed.get("event_type"), str) or not parsed.get("event_type"):
            return "parameter 'metadata' needs a non-empty string 'event_type'"
        if not isinstance(parsed.get("event_payload"), dict):
            return "parameter 'metadata' needs an object 'event_payload'"
    return None


def check_call(
    method: str,
    params: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
) -> list[str]:
    """Problems with calling Slack's `method` with `params` (and request `headers`).

    `params` are the call's arguments as received, query string and body merged: strings
    for form and query encoding, JSON values for JSON bodies. An `Authorization: Bearer`
    header stands for the `token` parameter.
    """
    spec = method_spec(method)
    if spec is None:
        return [f"unknown method {method!r}: not in the Slack Web API spec nor allow-listed"]

    problems: list[str] = []
    content_type = (_header(headers, "Content-Type") or "").split(";")[0].strip().lower()
    if content_type == "application/json" and not spec.accepts_json:
        problems.append(
            f"{method} does not accept application/json bodies (spec consumes form data "
            "only); Slack ignores arguments sent that way"
        )

    for param in spec.params.values():
        if not param.required:
            continue
        if param.name in params:
            continue
        if param.name == "token" and has_bearer_token(headers):
            continue
        stand_ins = ALTERNATIVES.get((method, param.name), ())
        if any(other in params for other in stand_ins):
            continue
        problems.append(f"missing required parameter {param.name!r}")

    for name, value in params.items():
        known = spec.params.get(name)
        if known is None:
            source = "slack_sdk's signature" if spec.source == "slack_sdk" else "the spec"
            problems.append(f"unknown parameter {name!r} (not in {source} for {method})")
            continue
        problem = _type_problem(name, known.type, value)
        if problem is not None:
            problems.append(problem)
    return problems
