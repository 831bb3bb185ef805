"""A fake WeCom server API on 127.0.0.1 that Storedesk's aiohttp client talks to.

    async with FakeWeCom() as fake:   # api_base_url = fake.url  (…/cgi-bin)

It answers the calls the WeCom team workspace makes, in WeCom's documented request and
response shapes (server API docs: 获取access_token, 创建群聊会话, 应用推送消息 (appchat/send),
发送应用消息 (message/send, template_card), 更新模版卡片消息): `GET gettoken?corpid&corpsecret`,
`POST appchat/create|appchat/send|message/send|message/update_template_card?access_token=`.
Every call is recorded with the problems found in it (a missing or wrong parameter, a
message type the endpoint does not take, a spent `response_code`), and a test ends with
`assert_all_calls_valid`.

Documented behaviour the fake keeps: tokens expire (errcode 42001) or are unknown (40014);
`appchat/send` takes text, image, voice, video, file, textcard, news, mpnews and markdown,
not template cards; a `response_code` is usable once; `task_id` may not repeat within the
app; `enable_duplicate_check` drops an identical request inside its interval.
A guess: the errcode for a malformed parameter (40058) and for an unknown chat (86003).
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

CORP_ID = "wwstoredesk0001"
SECRET = "fake-wecom-app-secret"
AGENT_ID = 1000002
APPCHAT_TYPES = frozenset(
    {"text", "image", "voice", "video", "file", "textcard", "news", "mpnews", "markdown"}
)
MESSAGE_TYPES = APPCHAT_TYPES | {"miniprogram_notice", "template_card"}
CARD_TYPES = frozenset(
    {"text_notice", "news_notice", "button_interaction", "vote_interaction", "multiple_interaction"}
)
TASK_ID = re.compile(r"^[0-9A-Za-z_\-@]{1,128}$")
TEXT_LIMIT = 2048
INVALID_PARAMETER = 40058
UNKNOWN_CHAT = 86003


@dataclass
class RecordedCall:
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    problems: list[str]
    errcode: int = 0
    at: float = 0.0


@dataclass
class Card:
    task_id: str
    touser: list[str]
    card: dict[str, Any]
    msgid: str
    updates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def replaced_by(self) -> str | None:
        """The label shown in place of the buttons, once a `replace_name` update came."""
        named = [u["button"]["replace_name"] for u in self.updates if "button" in u]
        return named[-1] if named else None

    @property
    def shown(self) -> dict[str, Any]:
        full = [u["template_card"] for u in self.updates if "template_card" in u]
        return full[-1] if full else self.card


class FakeWeCom:
    def __init__(
        self, corp_id: str = CORP_ID, secret: str = SECRET, agent_id: int = AGENT_ID
    ) -> None:
        self.corp_id, self.secret, self.agent_id = corp_id, secret, agent_id
        self.calls: list[RecordedCall] = []
        self.chats: dict[str, dict[str, Any]] = {}
        self.direct: list[dict[str, Any]] = []  # message/send bodies that were delivered
        self.cards: dict[str, Card] = {}
        self.expires_in = 7200
        self._tokens: dict[str, float] = {}
        self._codes: dict[str, tuple[str, bool]] = {}  # code -> (task_id, used)
        self._faults: list[tuple[str, int, int]] = []
        self._recent: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_get("/cgi-bin/gettoken", self._gettoken)
        for path in (
            "appchat/create",
            "appchat/send",
            "message/send",
            "message/update_template_card",
        ):
            app.router.add_post(f"/cgi-bin/{path}", self._api)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/cgi-bin"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- controls and views for tests -----------------------------------------------------

    def fail_next(self, path: str, errcode: int, times: int = 1) -> None:
        """The next `times` calls to `path` answer `errcode` (e.g. 45009, a rate limit)."""
        self._faults.append((path, errcode, times))

    def expire_tokens(self) -> None:
        for token in self._tokens:
            self._tokens[token] = 0.0

    def press_code(self, task_id: str) -> str:
        """The fresh ResponseCode WeCom puts in a card press event."""
        code = f"press-{secrets.token_hex(8)}"
        self._codes[code] = (task_id, False)
        return code

    def calls_to(self, path: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.path == path]

    def group_texts(self, chat_id: str | None = None) -> list[str]:
        chats = [self.chats[chat_id]] if chat_id else list(self.chats.values())
        return [m["text"]["content"] for chat in chats for m in chat["messages"]]

    def texts_to(self, userid: str) -> list[str]:
        return [
            m["text"]["content"]
            for m in self.direct
            if m["msgtype"] == "text" and userid in m["touser"].split("|")
        ]

    def assert_all_calls_valid(self) -> None:
        bad = [(c.path, c.problems) for c in self.calls if c.problems]
        assert not bad, f"calls WeCom would refuse: {bad}"

    # --- the API ----------------------------------------------------------------------------

    async def _gettoken(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        problems = []
        if query.get("corpid") != self.corp_id:
            problems.append("gettoken: wrong or missing corpid")
        if query.get("corpsecret") != self.secret:
            problems.append("gettoken: wrong or missing corpsecret")
        call = RecordedCall("gettoken", query, {}, problems, at=time.monotonic())
        self.calls.append(call)
        if problems:
            call.errcode = 40001
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        token = f"tok-{secrets.token_hex(8)}"
        self._tokens[token] = time.monotonic() + self.expires_in
        return web.json_response(
            {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.expires_in}
        )

    async def _api(self, request: web.Request) -> web.Response:
        path = request.path.removeprefix("/cgi-bin/")
        try:
            body = json.loads(await request.read())
        except ValueError:
            body = None
        shaped = body if isinstance(body, dict) else {}
        call = RecordedCall(path, dict(request.query), shaped, [], 0, time.monotonic())
        self.calls.append(call)
        if not isinstance(body, dict):
            call.problems.append("body is not a JSON object")
            return self._error(call, 47001, "data format error")
        token = request.query.get("access_token")
        if not token:
            return self._error(call, 41001, "access_token missing")
        if token not in self._tokens:
            return self._error(call, 40014, "invalid access_token")
        if self._tokens[token] < time.monotonic():
            return self._error(call, 42001, "access_token expired")
        for index, (fault_path, errcode, times) in enumerate(self._faults):
            if fault_path == path:
                if times <= 1:
                    del self._faults[index]
                else:
                    self._faults[index] = (fault_path, errcode, times - 1)
                return self._error(call, errcode, "injected by the test")
        handler = {
            "appchat/create": self._appchat_create,
            "appchat/send": self._appchat_send,
            "message/send": self._message_send,
            "message/update_template_card": self._update_card,
        }[path]
        return handler(call, body)

    def _error(self, call: RecordedCall, errcode: int, errmsg: str) -> web.Response:
        call.errcode = errcode
        return web.json_response({"errcode": errcode, "errmsg": errmsg})

    def _invalid(self, call: RecordedCall, problem: str) -> web.Response:
        call.problems.append(problem)
        return self._error(call, INVALID_PARAMETER, problem)

    def _appchat_create(self, call: RecordedCall, body: dict[str, Any]) -> web.Response:
        users = body.get("userlist")
        if not isinstance(users, list) or not 2 <= len(users) <= 2000:
            return self._invalid(call, "appchat/create: userlist needs 2 to 2000 userids")
        if body.get("owner") is not None and body["owner"] not in users:
            return self._invalid(call, "appchat/create: owner must be in userlist")
        if len(str(body.get("name", ""))) > 50:
            return self._invalid(call, "appchat/create: name over 50 characters")
        chat_id = body.get("chatid") or secrets.token_hex(16)
        self.chats[chat_id] = {"name": body.get("name"), "userlist": users, "messages": []}
        return web.json_response({"errcode": 0, "errmsg": "ok", "chatid": chat_id})

    def _appchat_send(self, call: RecordedCall, body: dict[str, Any]) -> web.Response:
        msgtype = body.get("msgtype")
        if msgtype not in APPCHAT_TYPES:
            return self._invalid(call, f"appchat/send: msgtype {msgtype!r} not supported")
        problem = _content_problem(body)
        if problem:
            return self._invalid(call, f"appchat/send: {problem}")
        chat = self.chats.get(str(body.get("chatid")))
        if chat is None:
            call.problems.append("appchat/send: unknown chatid")
            return self._error(call, UNKNOWN_CHAT, "chatid not found")
        chat["messages"].append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def _message_send(self, call: RecordedCall, body: dict[str, Any]) -> web.Response:
        if not any(body.get(k) for k in ("touser", "toparty", "totag")):
            return self._invalid(call, "message/send: touser, toparty or totag is required")
        if body.get("agentid") != self.agent_id:
            return self._invalid(call, "message/send: agentid is not this app's")
        msgtype = body.get("msgtype")
        if msgtype not in MESSAGE_TYPES:
            return self._invalid(call, f"message/send: msgtype {msgtype!r} unknown")
        problem = _content_problem(body) if msgtype == "text" else None
        answer: dict[str, Any] = {"errcode": 0, "errmsg": "ok", "invaliduser": ""}
        card = body.get("template_card")
        # The duplicate check absorbs an identical resend within its interval before anything
        # else is looked at (so a card re-sent after a crash is not a reused task_id).
        if not problem and self._seen_recently(body):
            answer["msgid"] = f"msg{next(self._ids)}"
            return web.json_response(answer)
        if msgtype == "template_card":
            problem = _card_problem(card)
            if not problem and card["task_id"] in self.cards:
                problem = f"task_id {card['task_id']} already used by this app"
        if problem:
            return self._invalid(call, f"message/send: {problem}")
        answer["msgid"] = f"msg{next(self._ids)}"
        self._remember_sent(body)
        self.direct.append(body)
        if msgtype == "template_card" and card["card_type"] == "button_interaction":
            code = f"send-{secrets.token_hex(8)}"
            self._codes[code] = (card["task_id"], False)
            answer["response_code"] = code
            self.cards[card["task_id"]] = Card(
                card["task_id"], str(body["touser"]).split("|"), card, answer["msgid"]
            )
        return web.json_response(answer)

    def _update_card(self, call: RecordedCall, body: dict[str, Any]) -> web.Response:
        if body.get("agentid") != self.agent_id:
            return self._invalid(call, "update_template_card: agentid is not this app's")
        if not (body.get("atall") == 1 or body.get("userids")):
            return self._invalid(call, "update_template_card: userids or atall is required")
        code = str(body.get("response_code") or "")
        known = self._codes.get(code)
        if known is None or known[1]:
            return self._invalid(call, "update_template_card: response_code unknown or used")
        task_id = known[0]
        button, card = body.get("button"), body.get("template_card")
        if button is not None:
            if not isinstance(button, dict) or not str(button.get("replace_name") or ""):
                return self._invalid(call, "update_template_card: button.replace_name required")
        elif card is not None:
            problem = _card_problem(card)
            if problem:
                return self._invalid(call, f"update_template_card: {problem}")
        else:
            return self._invalid(call, "update_template_card: button or template_card required")
        self._codes[code] = (task_id, True)
        self.cards[task_id].updates.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok", "invaliduser": []})

    def _seen_recently(self, body: dict[str, Any]) -> bool:
        if body.get("enable_duplicate_check") != 1:
            return False
        seen = self._recent.get(json.dumps(body, sort_keys=True))
        interval = float(body.get("duplicate_check_interval", 1800))
        return seen is not None and time.monotonic() - seen < interval

    def _remember_sent(self, body: dict[str, Any]) -> None:
        if body.get("enable_duplicate_check") == 1:
            self._recent[json.dumps(body, sort_keys=True)] = time.monotonic()


def _content_problem(body: dict[str, Any]) -> str | None:
    if body.get("msgtype") != "text":
        return None
    content = (body.get("text") or {}).get("content")
    if not isinstance(content, str) or not content:
        return "text.content is required"
    if len(content.encode()) > TEXT_LIMIT:
        return f"text.content over {TEXT_LIMIT} bytes"
    return None


def _card_problem(card: Any) -> str | None:
    if not isinstance(card, dict) or card.get("card_type") not in CARD_TYPES:
        return "template_card.card_type missing or unknown"
    if card["card_type"] != "button_interaction":
        return None
    if not TASK_ID.match(str(card.get("task_id", ""))):
        return "template_card.task_id required: 1-128 of 0-9 a-z A-Z _ - @"
    if not ((card.get("main_title") or {}).get("title") or card.get("sub_title_text")):
        return "template_card needs main_title.title or sub_title_text"
    buttons = card.get("button_list")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 6:
        return "template_card.button_list needs 1 to 6 buttons"
    for button in buttons:
        if not button.get("text") or not button.get("key"):
            return "every button needs text and key"
        if len(str(button["key"]).encode()) > 1024:
            return "button key over 1024 bytes"
    return None
