"""A fake Lark / Feishu Open Platform on 127.0.0.1, and events signed and encrypted as Lark does.

    async with FakeLark() as lark:
        ...  # point `[lark] api_base_url` at lark.url

Routes are Lark's own (tenant_access_token/internal, im/v1/chats, im/v1/messages, reply,
PATCH). Every call is recorded with the problems found in it against the request shapes in
`tests/specs/lark/endpoints.json` (taken from the lark-oapi SDK's request models): unknown
or mistyped body fields, missing required ones, query values outside the documented set,
a missing or stale bearer token, content that is not the JSON its `msg_type` needs.
`assert_all_calls_valid` fails a test on any of them.

Behaviour modelled from the documentation: a `uuid` seen before returns the message it
produced (Lark deduplicates sends by uuid for an hour); a reply with `reply_in_thread`
joins (or opens) the thread of its root; PATCH only updates interactive cards with
`update_multi`; an expired token answers code 99991663. Controls: `fail_next` (e.g. HTTP
429 / code 99991400 with `x-ogw-ratelimit-reset`), `expire_tokens`, `slow_next`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid as uuid_module
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from bot.workspaces.lark import crypto

SPEC = json.loads((Path(__file__).parents[1] / "specs" / "lark" / "endpoints.json").read_text())
APP_ID = "cli_test0000000001"
APP_SECRET = "lark-test-secret"
VERIFICATION_TOKEN = "lark-verification-token"
ENCRYPT_KEY = "lark-encrypt-key"
NORTHWIND_CHAT = "oc_northwind0001"
OPEN_IDS = {"ana": "ou_ana0001", "sam": "ou_sam0001", "chen": "ou_chen0001", "li": "ou_li0001"}
LARK_ENV = {
    "LARK_APP_SECRET": APP_SECRET,
    "LARK_VERIFICATION_TOKEN": VERIFICATION_TOKEN,
    "LARK_ENCRYPT_KEY": ENCRYPT_KEY,
}
LATE = web.RequestKey("late", float)
TYPES = {"string": str, "boolean": bool, "array": list, "object": dict}


@dataclass
class RecordedCall:
    endpoint: str  # e.g. "POST /open-apis/im/v1/messages/:message_id/reply"
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    problems: list[str]
    status: int = 200
    code: int = 0
    at: float = 0.0


@dataclass
class _Fault:
    endpoint: str
    status: int
    code: int
    reset: int
    remaining: int


@dataclass
class FakeMessage:
    message_id: str
    chat_id: str
    msg_type: str
    content: dict[str, Any]
    uuid: str | None
    root_id: str | None = None
    parent_id: str | None = None
    thread_id: str | None = None
    sender: str = "app"
    updates: int = 0

    @property
    def text(self) -> str:
        """The readable text: a text message's text, or every plain_text of a card."""
        if self.msg_type == "text":
            return str(self.content.get("text", ""))
        return "\n".join(_card_texts(self.content))

    def data(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "root_id": self.root_id,
            "parent_id": self.parent_id,
            "thread_id": self.thread_id,
            "msg_type": self.msg_type,
            "create_time": str(int(time.time() * 1000)),
            "update_time": str(int(time.time() * 1000)),
            "deleted": False,
            "updated": self.updates > 0,
            "chat_id": self.chat_id,
            "sender": {"id": APP_ID, "id_type": "app_id", "sender_type": self.sender},
            "body": {"content": json.dumps(self.content)},
        }


def _card_texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        if node.get("tag") == "plain_text" and isinstance(node.get("content"), str):
            return [node["content"]]
        return [t for value in node.values() for t in _card_texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in _card_texts(value)]
    return []


def buttons(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Callback values of a card's buttons, by `press`."""
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("tag") == "button":
                for behavior in node.get("behaviors") or []:
                    if behavior.get("type") == "callback":
                        found[behavior["value"]["press"]] = behavior["value"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


class FakeLark:
    def __init__(self) -> None:
        self.calls: list[RecordedCall] = []
        self.messages: dict[str, FakeMessage] = {}
        self.chats: dict[str, dict[str, Any]] = {}
        self._by_uuid: dict[str, str] = {}
        self._chats_by_uuid: dict[str, str] = {}
        self._tokens: set[str] = set()
        self._token_ids = itertools.count(1)
        self._faults: list[_Fault] = []
        self._slow: dict[str, float] = {}
        self.preset_chats = {NORTHWIND_CHAT}  # configured groups the bot is already in
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- life cycle -------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        app = web.Application(middlewares=[_answer_late])
        app.router.add_post("/open-apis/auth/v3/tenant_access_token/internal", self._token)
        app.router.add_post("/open-apis/im/v1/chats", self._create_chat)
        app.router.add_post("/open-apis/im/v1/messages", self._send)
        app.router.add_post("/open-apis/im/v1/messages/{message_id}/reply", self._reply)
        app.router.add_patch("/open-apis/im/v1/messages/{message_id}", self._patch)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- controls and views -----------------------------------------------------------------

    def fail_next(
        self,
        endpoint: str,
        *,
        times: int = 1,
        status: int = 429,
        code: int = 99991400,
        reset: int = 1,
    ) -> None:
        self._faults.append(_Fault(endpoint, status, code, reset, times))

    def slow_next(self, endpoint: str, seconds: float) -> None:
        """Answer the next call only after `seconds` (it still takes effect at once)."""
        self._slow[endpoint] = seconds

    def expire_tokens(self) -> None:
        self._tokens.clear()

    def calls_to(self, endpoint: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.endpoint == endpoint]

    def assert_all_calls_valid(self) -> None:
        problems = [(c.endpoint, p) for c in self.calls for p in c.problems]
        assert not problems, problems

    def in_chat(self, chat_id: str) -> list[FakeMessage]:
        return [m for m in self.messages.values() if m.chat_id == chat_id]

    def roots(self, chat_id: str) -> list[FakeMessage]:
        return [m for m in self.in_chat(chat_id) if m.root_id is None and m.sender == "app"]

    def thread(self, root_id: str) -> list[FakeMessage]:
        return [m for m in self.messages.values() if m.root_id == root_id]

    def member_message(
        self, chat_id: str, open_id: str, text: str, *, root_id: str | None
    ) -> dict[str, Any]:
        """A member writes in the group (in a thread when `root_id`): the event Lark sends."""
        message = FakeMessage(
            f"om_{uuid_module.uuid4().hex}",
            chat_id,
            "text",
            {"text": text},
            None,
            root_id=root_id,
            parent_id=root_id,
            thread_id=self.messages[root_id].thread_id if root_id else None,
            sender="user",
        )
        self.messages[message.message_id] = message
        return {
            "sender": {
                "sender_id": {"open_id": open_id, "union_id": f"on_{open_id[3:]}"},
                "sender_type": "user",
                "tenant_key": "tenant-1",
            },
            "message": {
                "message_id": message.message_id,
                "root_id": root_id,
                "parent_id": root_id,
                "thread_id": message.thread_id,
                "create_time": str(int(time.time() * 1000)),
                "chat_id": chat_id,
                "chat_type": "group",
                "message_type": "text",
                "content": json.dumps({"text": text}),
            },
        }

    # --- handlers ---------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        call, body = await self._record(
            request, "POST /open-apis/auth/v3/tenant_access_token/internal"
        )
        if body.get("app_id") != APP_ID or body.get("app_secret") != APP_SECRET:
            return self._answer(call, {"code": 10014, "msg": "app secret invalid"}, 400)
        token = f"t-{next(self._token_ids):04d}"
        self._tokens.add(token)
        return self._answer(
            call, {"code": 0, "msg": "ok", "tenant_access_token": token, "expire": 7200}
        )

    async def _create_chat(self, request: web.Request) -> web.Response:
        call, body = await self._record(request, "POST /open-apis/im/v1/chats")
        if (refusal := await self._gate(call, request)) is not None:
            return refusal
        key = call.query.get("uuid")
        chat_id = self._chats_by_uuid.get(key or "") or f"oc_{uuid_module.uuid4().hex}"
        if key:
            self._chats_by_uuid[key] = chat_id
        self.chats[chat_id] = body
        return self._answer(
            call, {"code": 0, "msg": "success", "data": {"chat_id": chat_id, **body}}
        )

    async def _send(self, request: web.Request) -> web.Response:
        call, body = await self._record(request, "POST /open-apis/im/v1/messages")
        if (refusal := await self._gate(call, request)) is not None:
            return refusal
        chat_id = str(body.get("receive_id"))
        if call.query.get("receive_id_type") != "chat_id" or chat_id not in self._known_chats():
            return self._answer(call, {"code": 230002, "msg": "bot is not in the chat"}, 400)
        message = self._store(call, body, chat_id, parent=None)
        return self._answer(call, {"code": 0, "msg": "success", "data": message.data()})

    async def _reply(self, request: web.Request) -> web.Response:
        endpoint = "POST /open-apis/im/v1/messages/:message_id/reply"
        call, body = await self._record(request, endpoint)
        if (refusal := await self._gate(call, request)) is not None:
            return refusal
        parent = self.messages.get(request.match_info["message_id"])
        if parent is None:
            return self._answer(call, {"code": 230011, "msg": "message not found"}, 400)
        message = self._store(call, body, parent.chat_id, parent=parent)
        return self._answer(call, {"code": 0, "msg": "success", "data": message.data()})

    async def _patch(self, request: web.Request) -> web.Response:
        call, body = await self._record(request, "PATCH /open-apis/im/v1/messages/:message_id")
        if (refusal := await self._gate(call, request)) is not None:
            return refusal
        message = self.messages.get(request.match_info["message_id"])
        if message is None or message.msg_type != "interactive":
            return self._answer(call, {"code": 230001, "msg": "not an interactive card"}, 400)
        card = _loads(body.get("content"))
        if not isinstance(card, dict) or not (card.get("config") or {}).get("update_multi"):
            call.problems.append("PATCH needs a card with config.update_multi = true")
            return self._answer(call, {"code": 230099, "msg": "card is not shared"}, 400)
        call.problems.extend(_card_problems(card))
        message.content = card
        message.updates += 1
        return self._answer(call, {"code": 0, "msg": "success", "data": {}})

    # --- plumbing ---------------------------------------------------------------------------

    def _known_chats(self) -> set[str]:
        return set(self.chats) | self.preset_chats

    def _store(
        self, call: RecordedCall, body: dict[str, Any], chat_id: str, parent: FakeMessage | None
    ) -> FakeMessage:
        key = body.get("uuid")
        if isinstance(key, str) and key in self._by_uuid:
            return self.messages[self._by_uuid[key]]  # the same uuid: the same message
        msg_type = str(body.get("msg_type"))
        content = _loads(body.get("content"))
        if not isinstance(content, dict):
            call.problems.append("content must be a JSON object serialized as a string")
            content = {}
        if msg_type == "text" and not isinstance(content.get("text"), str):
            call.problems.append("text content needs a text field")
        if msg_type == "interactive":
            call.problems.extend(_card_problems(content))
        root = None
        if parent is not None:
            root = self.messages[parent.root_id] if parent.root_id else parent
            if body.get("reply_in_thread") is not True:
                call.problems.append("replies are expected in threads (reply_in_thread)")
            if root.thread_id is None:
                root.thread_id = f"omt_{uuid_module.uuid4().hex[:16]}"
        message = FakeMessage(
            f"om_{uuid_module.uuid4().hex}",
            chat_id,
            msg_type,
            content,
            key if isinstance(key, str) else None,
            root_id=root.message_id if root else None,
            parent_id=parent.message_id if parent else None,
            thread_id=root.thread_id if root else None,
        )
        self.messages[message.message_id] = message
        if isinstance(key, str):
            self._by_uuid[key] = message.message_id
        return message

    async def _record(self, request: web.Request, endpoint: str) -> tuple[RecordedCall, dict]:
        raw = await request.read()
        problems: list[str] = []
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
            problems.append("body is not JSON")
        if not isinstance(body, dict):
            body, problems = {}, [*problems, "body is not a JSON object"]
        spec = SPEC["endpoints"][endpoint]
        for name, value in body.items():
            wanted = spec["body"].get(name)
            if wanted is None:
                problems.append(f"unknown body field {name}")
            elif not isinstance(value, TYPES[wanted]):
                problems.append(f"{name} must be a {wanted}")
        problems.extend(f"missing {name}" for name in spec["required"] if name not in body)
        query = dict(request.query)
        for name, value in query.items():
            if name not in spec["query"]:
                problems.append(f"unknown query parameter {name}")
            elif spec["query"][name] is not None and value not in spec["query"][name]:
                problems.append(f"{name}={value} is not one of {spec['query'][name]}")
        problems.extend(
            f"missing query {name}" for name in spec.get("required_query", []) if name not in query
        )
        key = body.get("uuid")
        if isinstance(key, str) and len(key) > SPEC["uuid_max_length"]:
            problems.append("uuid longer than 50 characters")
        if "msg_type" in body and body["msg_type"] not in SPEC["msg_types"]:
            problems.append(f"unknown msg_type {body['msg_type']}")
        call = RecordedCall(endpoint, request.path, query, body, problems, at=time.monotonic())
        self.calls.append(call)
        return call, body

    async def _gate(self, call: RecordedCall, request: web.Request) -> web.Response | None:
        """Bearer token, injected faults and delays, before the call takes effect."""
        auth = request.headers.get("Authorization", "")
        if auth.removeprefix("Bearer ") not in self._tokens:
            return self._answer(call, {"code": 99991663, "msg": "Invalid access token"}, 400)
        for fault in self._faults:
            if fault.endpoint == call.endpoint and fault.remaining > 0:
                fault.remaining -= 1
                response = self._answer(
                    call,
                    {"code": fault.code, "msg": "request trigger frequency limit"},
                    fault.status,
                )
                response.headers["x-ogw-ratelimit-reset"] = str(fault.reset)
                return response
        request[LATE] = self._slow.pop(call.endpoint, 0.0)
        return None

    def _answer(
        self, call: RecordedCall, payload: dict[str, Any], status: int = 200
    ) -> web.Response:
        call.status, call.code = status, int(payload.get("code") or 0)
        return web.json_response(payload, status=status)


@web.middleware
async def _answer_late(request: web.Request, handler: Any) -> web.StreamResponse:
    """`slow_next`: the call has taken effect; only its answer is late (a lost answer)."""
    response = await handler(request)
    if delay := request.get(LATE):
        await asyncio.sleep(delay)
    return response


def _loads(value: Any) -> Any:
    try:
        return json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _card_problems(card: dict[str, Any]) -> list[str]:
    problems = []
    if card.get("schema") != "2.0":
        problems.append("cards are sent as JSON 2.0 (schema)")
    elements = (card.get("body") or {}).get("elements")
    if not isinstance(elements, list) or not elements:
        problems.append("a card needs body.elements")
    for value in buttons(card).values():
        if set(value) != {"press", "ref"}:
            problems.append(f"unexpected button value {value}")
    if len(json.dumps(card).encode()) > 30 * 1024:
        problems.append("card over 30 KB")
    return problems


def add_lark(raw: dict[str, Any], api_url: str, *, encrypted: bool = True) -> dict[str, Any]:
    """Northwind in a configured group, Dragon in one created on demand; secrets from LARK_ENV."""
    raw["lark"] = {
        "app_id": APP_ID,
        "api_base_url": api_url,
        "timeout_seconds": 2,
        "per_chat_rate_per_second": 50,
        "burst": 50,
        **({"encrypt_key_env": "LARK_ENCRYPT_KEY"} if encrypted else {}),
    }
    for store in raw["stores"]:
        store["lark"] = {"chat_id": NORTHWIND_CHAT} if store["id"] == "northwind" else {}
    for member in raw["members"]:
        if member["id"] in OPEN_IDS:
            member["lark_open_id"] = OPEN_IDS[member["id"]]
    return raw


# --- events, as Lark delivers them ----------------------------------------------------------


def envelope(event_type: str, event: dict[str, Any], *, event_id: str | None = None) -> dict:
    return {
        "schema": "2.0",
        "header": {
            "event_id": event_id or uuid_module.uuid4().hex,
            "event_type": event_type,
            "create_time": str(int(time.time() * 1000)),
            "token": VERIFICATION_TOKEN,
            "app_id": APP_ID,
            "tenant_key": "tenant-1",
        },
        "event": event,
    }


def card_press(
    open_id: str, message: FakeMessage, value: dict[str, Any], form: dict | None = None
) -> dict[str, Any]:
    """The `card.action.trigger` callback for a press on `message`'s button."""
    action: dict[str, Any] = {"value": value, "tag": "button"}
    if form is not None:
        action["form_value"] = form
        action["name"] = "send_edit"
    return {
        "operator": {"tenant_key": "tenant-1", "open_id": open_id, "union_id": f"on_{open_id}"},
        "token": f"c-{uuid_module.uuid4().hex}",
        "action": action,
        "host": "im_message",
        "context": {"open_message_id": message.message_id, "open_chat_id": message.chat_id},
    }


def signed_request(
    payload: dict[str, Any] | bytes,
    *,
    encrypt_key: str | None = ENCRYPT_KEY,
    at: float | None = None,
    sign_with: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The body and headers Lark sends: encrypted and signed when there is an encrypt key."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if encrypt_key is None:
        return raw, headers
    body = json.dumps({"encrypt": crypto.encrypt(encrypt_key, raw)}).encode()
    timestamp, nonce = str(int(at if at is not None else time.time())), uuid_module.uuid4().hex
    headers.update(
        {
            "X-Lark-Request-Timestamp": timestamp,
            "X-Lark-Request-Nonce": nonce,
            "X-Lark-Signature": crypto.signature(timestamp, nonce, sign_with or encrypt_key, body),
        }
    )
    return body, headers
