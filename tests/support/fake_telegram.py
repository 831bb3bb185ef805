"""A fake Telegram Bot API on 127.0.0.1 that the real aiogram and python-telegram-bot talk to.

    async with FakeTelegram() as fake:
        bot = Bot(STORE_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.url)))
        application = Application.builder().token(TEAM_TOKEN).base_url(f"{fake.url}/bot")...

Routes are Telegram's own: `POST|GET /bot<token>/<method>` and `GET /file/bot<token>/<path>`.
Every call is recorded per bot token with the problems `tests.support.telegram_spec` finds in
it, so a test can assert that Storedesk only makes calls the Bot API accepts
(`assert_all_calls_valid`). Answers are checked against the spec's return types too, so the
fake cannot drift into shapes the real libraries would never see.

State the fake keeps, per bot token: the messages each chat holds (sent by the bot, or put
there by a test as a customer's or member's message), forum topics, uploaded and downloadable
files, the webhook, and a queue of updates for `getUpdates`. Controls for failure:
`fail_next` (e.g. 429 with `retry_after`) and `block` (403 "bot was blocked by the user").

What is a guess rather than documented Telegram behaviour: message ids count per chat and
bot; `editMessageText` with unchanged text and markup answers 400 "message is not modified"
(as Telegram does); a chat id below zero is a supergroup with topics enabled.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from tests.support.telegram_spec import check_call, check_value, spec

BLOCKED = "Forbidden: bot was blocked by the user"
SENDING_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendVoice", "sendLocation", "sendContact"}
)
MAX_POLL_SECONDS = 5.0


@dataclass
class RecordedCall:
    """One request as it arrived, what the spec says about it, and what the fake answered."""

    token: str
    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    problems: list[str]
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    at: float = 0.0

    def json_param(self, name: str) -> Any:
        value = self.params.get(name)
        return json.loads(value) if isinstance(value, str) else value


@dataclass
class _Fault:
    method: str
    token: str | None
    status: int
    description: str
    retry_after: int | None
    remaining: int


def bot_id(token: str) -> int:
    return int(token.split(":", 1)[0])


class FakeTelegram:
    def __init__(self) -> None:
        self.calls: list[RecordedCall] = []
        self._faults: list[_Fault] = []
        self._blocked: set[tuple[str, int]] = set()
        self._chats: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
        self._message_ids: dict[tuple[str, int], itertools.count[int]] = {}
        self._topics: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
        self._files: dict[str, tuple[bytes, str]] = {}  # file_id -> (content, file_path)
        self._file_ids = itertools.count(1)
        self._update_ids: dict[str, itertools.count[int]] = {}
        self._queues: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._queue_changed = asyncio.Condition()
        self.webhooks: dict[str, dict[str, Any]] = {}
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- life cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- controls -----------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        token: str | None = None,
        status: int = 429,
        retry_after: int | None = 1,
        description: str | None = None,
        count: int = 1,
    ) -> None:
        """The next `count` calls of `method` fail, e.g. 429 with `retry_after` seconds."""
        text = description or (
            f"Too Many Requests: retry after {retry_after}" if status == 429 else "Bad Request"
        )
        self._faults.append(_Fault(method, token, status, text, retry_after, count))

    def block(self, token: str, chat_id: int) -> None:
        """The user of `chat_id` blocked the bot: every send to them answers 403."""
        self._blocked.add((token, chat_id))

    def add_file(self, token: str, content: bytes, file_name: str) -> dict[str, Any]:
        """A file a user sent to the bot; returns its `file_id`, `file_unique_id`, size."""
        number = next(self._file_ids)
        file_id = f"F{number:06d}{'x' * 20}"
        self._files[file_id] = (content, f"documents/{number}_{file_name}")
        return {"file_id": file_id, "file_unique_id": f"U{number}", "file_size": len(content)}

    def push_update(self, token: str, update: dict[str, Any]) -> None:
        """Queue an update for the bot's `getUpdates` (long polling)."""
        self._queues[token].append(update)

        async def notify() -> None:
            async with self._queue_changed:
                self._queue_changed.notify_all()

        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().create_task(notify())

    def pending_updates(self, token: str) -> list[dict[str, Any]]:
        return list(self._queues[token])

    # --- building what users do ---------------------------------------------------------

    def next_update_id(self, token: str) -> int:
        counter = self._update_ids.setdefault(token, itertools.count(1000))
        return next(counter)

    def _next_message_id(self, token: str, chat_id: int) -> int:
        counter = self._message_ids.setdefault((token, chat_id), itertools.count(1))
        return next(counter)

    def user_message(
        self,
        token: str,
        chat_id: int,
        user: dict[str, Any],
        *,
        text: str | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        """An update carrying a message a person wrote to the bot (customer or member)."""
        message: dict[str, Any] = {
            "message_id": self._next_message_id(token, chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id, user),
            "from": user,
            **content,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if reply_to is not None:
            message["reply_to_message"] = self._shallow(self.message(token, chat_id, reply_to))
        self._chats[(token, chat_id)].append(message)
        return {"update_id": self.next_update_id(token), "message": message}

    def edited_message(
        self, token: str, chat_id: int, message_id: int, text: str
    ) -> dict[str, Any]:
        message = self.message(token, chat_id, message_id)
        message.update(text=text, edit_date=int(time.time()))
        return {"update_id": self.next_update_id(token), "edited_message": dict(message)}

    def callback_query(
        self, token: str, chat_id: int, message_id: int, user: dict[str, Any], data: str
    ) -> dict[str, Any]:
        """A press on an inline button of a message the bot sent."""
        return {
            "update_id": self.next_update_id(token),
            "callback_query": {
                "id": f"cq{self.next_update_id(token)}",
                "from": user,
                "message": dict(self.message(token, chat_id, message_id)),
                "chat_instance": f"ci{chat_id}",
                "data": data,
            },
        }

    # --- what a test reads --------------------------------------------------------------

    def calls_of(self, method: str | None = None, token: str | None = None) -> list[RecordedCall]:
        return [
            call
            for call in self.calls
            if (method is None or call.method == method) and (token is None or call.token == token)
        ]

    def problems(self) -> list[str]:
        return [f"{c.method}: {p}" for c in self.calls for p in c.problems]

    def assert_all_calls_valid(self) -> None:
        found = self.problems()
        assert not found, "calls the Bot API would refuse:\n" + "\n".join(found)

    def messages(
        self, token: str, chat_id: int, *, thread_id: int | None = None, from_bot: bool = True
    ) -> list[dict[str, Any]]:
        """Messages in a chat (optionally one topic), oldest first; by default the bot's own."""
        found = []
        for message in self._chats[(token, chat_id)]:
            if from_bot and not (message.get("from") or {}).get("is_bot"):
                continue
            if thread_id is not None and message.get("message_thread_id") != thread_id:
                continue
            found.append(message)
        return found

    def message(self, token: str, chat_id: int, message_id: int) -> dict[str, Any]:
        for message in self._chats[(token, chat_id)]:
            if message["message_id"] == message_id:
                return message
        raise KeyError(f"no message {message_id} in chat {chat_id}")

    def topics(self, token: str, chat_id: int) -> list[dict[str, Any]]:
        return list(self._topics[(token, chat_id)])

    def file_content(self, file_id: str) -> bytes:
        return self._files[file_id][0]

    # --- the API ------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        params, files = await _read_params(request)
        call = RecordedCall(
            token, method, params, files, check_call(method, params, frozenset(files))
        )
        call.at = time.monotonic()
        self.calls.append(call)
        if ":" not in token or not token.split(":", 1)[0].isdigit():
            return self._answer(call, 401, error="Unauthorized")
        fault = self._take_fault(method, token)
        if fault is not None:
            extra = {"retry_after": fault.retry_after} if fault.retry_after is not None else None
            return self._answer(call, fault.status, error=fault.description, parameters=extra)
        chat_id = _int_or_none(params.get("chat_id"))
        if method in SENDING_METHODS and chat_id is not None and (token, chat_id) in self._blocked:
            return self._answer(call, 403, error=BLOCKED)
        if method == "getUpdates":
            result: Any = await self._get_updates(token, params)
        else:
            try:
                result = self._handle(token, method, params, files)
            except _BadRequest as problem:
                return self._answer(call, 400, error=f"Bad Request: {problem}")
        return self._answer(call, 200, result=result)

    def _answer(
        self,
        call: RecordedCall,
        status: int,
        *,
        result: Any = None,
        error: str | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> web.Response:
        if error is None:
            body: dict[str, Any] = {"ok": True, "result": result}
            call.problems.extend(_check_result(call.method, result))
        else:
            body = {"ok": False, "error_code": status, "description": error}
            if parameters:
                body["parameters"] = parameters
        call.status, call.response = status, body
        return web.json_response(body, status=status)

    def _take_fault(self, method: str, token: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method == method and fault.token in (None, token) and fault.remaining > 0:
                fault.remaining -= 1
                return fault
        return None

    def _handle(
        self, token: str, method: str, params: dict[str, Any], files: dict[str, bytes]
    ) -> Any:
        if method == "getMe":
            return self._bot_user(token)
        if method in ("setWebhook", "deleteWebhook"):
            if method == "setWebhook":
                self.webhooks[token] = dict(params)
            else:
                self.webhooks.pop(token, None)
            return True
        if method == "getWebhookInfo":
            hook = self.webhooks.get(token, {})
            return {
                "url": hook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._queues[token]),
            }
        if method == "answerCallbackQuery":
            return True
        if method == "createForumTopic":
            return self._create_topic(token, int(params["chat_id"]), str(params["name"]))
        if method == "getFile":
            return self._get_file(str(params["file_id"]))
        if method in ("editMessageText", "editMessageReplyMarkup"):
            return self._edit(token, method, params)
        if method in SENDING_METHODS:
            return self._send(token, method, params, files)
        raise _BadRequest(f"method {method} is not implemented by the fake")

    def _bot_user(self, token: str) -> dict[str, Any]:
        number = bot_id(token)
        return {
            "id": number,
            "is_bot": True,
            "first_name": f"Bot {number}",
            "username": f"bot{number}_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": False,
        }

    def _chat(self, chat_id: int, user: dict[str, Any] | None = None) -> dict[str, Any]:
        if chat_id < 0:
            return {"id": chat_id, "type": "supergroup", "title": "Support team", "is_forum": True}
        chat: dict[str, Any] = {"id": chat_id, "type": "private"}
        if user is not None:
            chat["first_name"] = user.get("first_name", "")
        return chat

    @staticmethod
    def _shallow(message: dict[str, Any]) -> dict[str, Any]:
        """Telegram nests one level of `reply_to_message`, never more."""
        return {k: v for k, v in message.items() if k != "reply_to_message"}

    def _send(
        self, token: str, method: str, params: dict[str, Any], files: dict[str, bytes]
    ) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": self._next_message_id(token, chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self._bot_user(token),
        }
        if "message_thread_id" in params:
            message["message_thread_id"] = int(params["message_thread_id"])
            message["is_topic_message"] = True
        reply = _json(params.get("reply_parameters"))
        if reply:
            try:
                replied = self.message(token, chat_id, int(reply["message_id"]))
            except KeyError:
                raise _BadRequest("message to be replied not found") from None
            message["reply_to_message"] = self._shallow(replied)
        if "reply_markup" in params:
            message["reply_markup"] = _json(params["reply_markup"])
        if method == "sendMessage":
            message["text"] = str(params["text"])
        else:
            field_name = {"sendPhoto": "photo", "sendDocument": "document", "sendVoice": "voice"}
            name = field_name.get(method)
            if name is not None:
                message[name] = self._stored_upload(token, name, params, files)
            if "caption" in params:
                message["caption"] = str(params["caption"])
        self._chats[(token, chat_id)].append(message)
        return message

    def _stored_upload(
        self, token: str, name: str, params: dict[str, Any], files: dict[str, bytes]
    ) -> Any:
        value = params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            content = files[value[len("attach://") :]]
        elif name in files:
            content = files[name]
        elif isinstance(value, str) and value in self._files:
            content = self._files[value][0]
        else:
            raise _BadRequest(f"wrong file identifier/HTTP URL specified for {name}")
        stored = self.add_file(token, content, name)
        if name == "photo":
            return [{**stored, "width": 640, "height": 480}]
        if name == "voice":
            return {**stored, "duration": 1}
        return {**stored, "file_name": f"{name}.bin"}

    def _edit(self, token: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        try:
            message = self.message(token, chat_id, message_id)
        except KeyError:
            raise _BadRequest("message to edit not found") from None
        markup = _json(params["reply_markup"]) if "reply_markup" in params else None
        text = str(params["text"]) if method == "editMessageText" else message.get("text")
        if text == message.get("text") and markup == message.get("reply_markup"):
            raise _BadRequest(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message["text"] = text
        if markup is not None:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        message["edit_date"] = int(time.time())
        return message

    def _create_topic(self, token: str, chat_id: int, name: str) -> dict[str, Any]:
        thread_id = self._next_message_id(token, chat_id)
        topic = {"message_thread_id": thread_id, "name": name, "icon_color": 7322096}
        self._topics[(token, chat_id)].append(topic)
        self._chats[(token, chat_id)].append(
            {
                "message_id": thread_id,
                "date": int(time.time()),
                "chat": self._chat(chat_id),
                "message_thread_id": thread_id,
                "forum_topic_created": {"name": name, "icon_color": 7322096},
            }
        )
        return topic

    def _get_file(self, file_id: str) -> dict[str, Any]:
        if file_id not in self._files:
            raise _BadRequest("invalid file_id")
        content, path = self._files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"U{file_id[1:7]}",
            "file_size": len(content),
            "file_path": path,
        }

    async def _get_updates(self, token: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = _int_or_none(params.get("offset"))
        if offset is not None:
            self._queues[token] = [u for u in self._queues[token] if u["update_id"] >= offset]
        wait = min(float(params.get("timeout") or 0), MAX_POLL_SECONDS)
        deadline = asyncio.get_running_loop().time() + wait
        while not self._queues[token]:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            async with self._queue_changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._queue_changed.wait(), timeout=min(left, 0.1))
        limit = _int_or_none(params.get("limit")) or 100
        return list(self._queues[token][:limit])

    async def _download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        for content, file_path in self._files.values():
            if file_path == path:
                return web.Response(body=content, content_type="application/octet-stream")
        return web.Response(status=404, text="Not Found")


class _BadRequest(Exception):
    pass


def _check_result(method: str, result: Any) -> list[str]:
    described = spec()["methods"].get(method)
    if described is None:
        return []
    found = check_value(f"answer of {method}", result, list(described["returns"]), from_form=False)
    return found[:3]


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    params: dict[str, Any] = dict(request.query)
    files: dict[str, bytes] = {}
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not hasattr(part, "filename") or part.name is None:
                continue
            if part.filename:
                files[part.name] = bytes(await part.read())
            else:
                params[part.name] = await part.text()
    elif request.content_type == "application/json":
        raw = await request.read()
        if raw:
            params.update(json.loads(raw))
    elif request.can_read_body:
        params.update(dict(await request.post()))
    return params, files


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
