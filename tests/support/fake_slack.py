"""A fake Slack Web API on 127.0.0.1 for driving the real slack_sdk / slack-bolt clients.

    async with FakeSlack(users={"U1": {"name": "ana", "profile": {"email": "a@x.io"}}}) as fake:
        client = AsyncWebClient(token="xoxb-test", base_url=fake.url, retry_handlers=[])
        await client.chat_postMessage(channel="C1", text="hi")
        fake.assert_all_calls_valid()

Every call is recorded as a `RecordedSlackCall` whose `problems` come from
`tests.support.slack_spec.check_call` (the Slack Web API OpenAPI spec), so a test can
assert that Storedesk only makes calls Slack accepts.

How slack_sdk's AsyncWebClient sends its arguments (slack_sdk 3.47, web/async_client.py,
internal_utils._build_req_args): methods that carry blocks, attachments, views or
metadata (chat.postMessage, chat.update, chat.postEphemeral, views.open, ...) send a JSON
body (`Content-Type: application/json;charset=utf-8`, parsed JSON values); the others pass
`params=`, which aiohttp puts in the query string (booleans as "1"/"0") with an empty
`application/x-www-form-urlencoded` body, using GET for reads such as
conversations.replies, users.info and users.lookupByEmail and POST otherwise. A caller may
also send a form-encoded or multipart body (`data=`). The token always travels as
`Authorization: Bearer <token>`. The fake therefore answers GET and POST, merges the query
string with a JSON, form or multipart body, and reads the token from the header (or a
`token` argument, which Slack also accepts).

Behaviour that is a guess rather than documented, stated here so tests do not over-trust
it:
- A reply (chat.postMessage with thread_ts) to a parent that was deleted answers
  `thread_not_found`. Slack's SDK maintainers name "the parent message was deleted before
  the app replied" as a cause of that error (slackapi/bolt-js#2307); Slack's docs list no
  dedicated error. (In Slack a deleted parent that already had replies stays as a
  "This message was deleted" placeholder; the fake does not model that.)
- `fail_once` answers HTTP 200 with `{"ok": false, "error": ...}` unless a status is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import WSMsgType, web

from tests.support.slack_spec import check_call

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T1"
TEAM_NAME = "Storedesk Test"
WORKSPACE_URL = "https://storedesk-test.slack.com/"
FIRST_TS_SECONDS = 1_700_000_000


@dataclass
class RecordedSlackCall:
    """One request the fake received, as it arrived, and what the spec says about it."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    problems: list[str]
    http_verb: str = "POST"
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def token(self) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == "authorization" and value.lower().startswith("bearer "):
                return value[7:].strip()
        token = self.params.get("token")
        return token if isinstance(token, str) else None


@dataclass
class _Fault:
    kind: str  # "429" | "error" | "hang"
    error: str = ""
    status: int = 200
    retry_after: int = 1
    seconds: float = 0.0
    apply_first: bool = False


class SlackApiFailure(Exception):
    """Raised inside a handler to answer `{"ok": false, "error": error}`."""

    def __init__(self, error: str, status: int = 200) -> None:
        super().__init__(error)
        self.error = error
        self.status = status


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    return bool(value)


def _json_value(name: str, value: Any, error: str) -> Any:
    """A JSON-encoded argument as parsed JSON, whether it came as text or parsed."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as bad:
            raise SlackApiFailure(error) from bad
    return value


Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class FakeSlack:
    """An aiohttp server speaking enough of the Slack Web API for Storedesk's tests."""

    def __init__(
        self,
        *,
        users: Mapping[str, Mapping[str, Any]] | None = None,
        token: str | None = None,
    ) -> None:
        """`users`: Slack user objects by user ID (`profile.email` feeds lookupByEmail).
        `token`: when set, any other bearer token answers `invalid_auth`."""
        self.calls: list[RecordedSlackCall] = []
        self.users: dict[str, dict[str, Any]] = {}
        for user_id, user in (users or {}).items():
            self.add_user(user_id, **dict(user))
        self.expected_token = token
        self.opened_views: list[dict[str, Any]] = []
        self.ephemeral_messages: list[dict[str, Any]] = []
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._deleted: set[tuple[str, str]] = set()
        self._archived: set[str] = set()
        self._faults: dict[str, deque[_Fault]] = {}
        self._ts_counter = 0
        self._view_counter = 0
        self._sockets: list[web.WebSocketResponse] = []
        self._envelope_acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._envelope_counter = 0
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "conversations.replies": self._conversations_replies,
            "conversations.history": self._conversations_history,
            "apps.connections.open": self._apps_connections_open,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }
        # files_upload_v2: file id -> what files.getUploadURLExternal announced, and the
        # bytes posted to the upload URL (step 2, not a Web API method, so not a call).
        self.pending_files: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        self.upload_problems: list[str] = []
        self._file_counter = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_get("/link", self._socket_mode_link)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._closing = asyncio.Event()
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        self._closing.set()  # wakes any hang_once sleeper
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

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

    @property
    def url(self) -> str:
        """Base URL for `AsyncWebClient(base_url=...)`: `http://127.0.0.1:PORT/api/`."""
        if self._port is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._port}/api/"

    # ------------------------------------------------------------------ test controls

    def fail_with_429(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls to `method` answer HTTP 429, `Retry-After: retry_after`,
        `{"ok": false, "error": "ratelimited"}` (the call has no effect)."""
        for _ in range(times):
            self._queue(method, _Fault("429", error="ratelimited", retry_after=retry_after))

    def fail_once(self, method: str, error: str = "internal_error", status: int = 200) -> None:
        """The next call to `method` answers `{"ok": false, "error": error}` with HTTP
        `status` (the call has no effect)."""
        self._queue(method, _Fault("error", error=error, status=status))

    def hang_once(self, method: str, seconds: float, *, apply_first: bool = False) -> None:
        """The next call to `method` answers only after `seconds` (to make a client time
        out). With `apply_first` the call takes effect at once and only the answer is late
        (a message is posted although the client saw a timeout); otherwise it takes effect
        when the fake answers, after the sleep. `stop()` cuts the sleep short."""
        self._queue(method, _Fault("hang", seconds=seconds, apply_first=apply_first))

    def delete_message(self, channel: str, ts: str) -> None:
        """Delete a message as a user would: it leaves `messages()`, `chat.update` answers
        `message_not_found`, and replies to it / reading its thread answer
        `thread_not_found`."""
        self._find(channel, ts)  # raises KeyError when absent
        self._deleted.add((channel, ts))

    def archive_channel(self, channel: str) -> None:
        """Posts to `channel` (chat.postMessage, chat.postEphemeral) answer `is_archived`."""
        self._archived.add(channel)

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        profile: Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        """Add a user for users.info / users.lookupByEmail."""
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name or user_id.lower(),
            "deleted": False,
            "is_bot": False,
            "tz": "UTC",
            "profile": dict(profile or {}),
        }
        user.update(extra)
        self.users[user_id] = user

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = "UHUMAN",
        thread_ts: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> str:
        """Seed a message from a person (e.g. the parent of a thread); returns its ts."""
        message: dict[str, Any] = {"type": "message", "text": text, "user": user}
        if metadata is not None:
            message["metadata"] = dict(metadata)
        return self._store(channel, message, thread_ts)["ts"]

    # ------------------------------------------------------------------ inspection

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Every live message in `channel`, parents and replies, in ts order (copies,
        including metadata)."""
        return [
            copy.deepcopy(message)
            for message in self._messages.get(channel, [])
            if (channel, message["ts"]) not in self._deleted
        ]

    def thread(self, channel: str, parent_ts: str) -> list[dict[str, Any]]:
        """The parent then its replies, in ts order (copies, including metadata)."""
        return [
            message
            for message in self.messages(channel)
            if message["ts"] == parent_ts or message.get("thread_ts") == parent_ts
        ]

    def calls_to(self, method: str) -> list[RecordedSlackCall]:
        return [call for call in self.calls if call.method == method]

    def problems(self) -> list[str]:
        return [
            f"#{index} {call.method}: {problem}"
            for index, call in enumerate(self.calls)
            for problem in call.problems
        ] + self.upload_problems

    def assert_all_calls_valid(self) -> None:
        """Raise AssertionError listing every spec problem of every recorded call."""
        problems = self.problems()
        if problems:
            listing = "\n  ".join(problems)
            raise AssertionError(
                f"{len(problems)} problem(s) in {len(self.calls)} Slack call(s):\n  {listing}"
            )

    # ------------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        headers = dict(request.headers)
        try:
            params = await self._read_params(request)
        except SlackApiFailure as failure:
            problem = f"request body could not be read ({failure.error})"
            call = RecordedSlackCall(method, {}, headers, [problem], request.method)
            return self._answer(call, {"ok": False, "error": failure.error}, 200)

        call = RecordedSlackCall(
            method=method,
            params=params,
            headers=headers,
            problems=check_call(method, params, headers),
            http_verb=request.method,
        )

        fault = self._next_fault(method)
        if fault is not None and fault.kind == "429":
            return self._answer(
                call,
                {"ok": False, "error": fault.error},
                429,
                extra_headers={"Retry-After": str(fault.retry_after)},
            )
        if fault is not None and fault.kind == "error":
            return self._answer(call, {"ok": False, "error": fault.error}, fault.status)

        if fault is not None and fault.kind == "hang" and not fault.apply_first:
            await self._sleep(fault.seconds)
        body = await self._dispatch(call)
        if fault is not None and fault.kind == "hang" and fault.apply_first:
            await self._sleep(fault.seconds)
        return self._answer(call, body, 200)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if not request.can_read_body:
            return params
        if request.content_type == "application/json":
            raw = await request.read()
            if not raw.strip():
                return params
            try:
                body = json.loads(raw)
            except ValueError as bad:
                raise SlackApiFailure("invalid_json") from bad
            if not isinstance(body, dict):
                raise SlackApiFailure("json_not_object")
            params.update(body)
        elif request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = value.file.read()
                else:
                    params[key] = value
        return params

    def _answer(
        self,
        call: RecordedSlackCall,
        body: dict[str, Any],
        status: int,
        extra_headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        call.status = status
        call.response = body
        self.calls.append(call)
        return web.json_response(body, status=status, headers=extra_headers)

    async def _dispatch(self, call: RecordedSlackCall) -> dict[str, Any]:
        token = call.token
        if not token:
            return {"ok": False, "error": "not_authed"}
        if self.expected_token is not None and token != self.expected_token:
            return {"ok": False, "error": "invalid_auth"}
        handler = self._handlers.get(call.method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        try:
            return await handler(call.params)
        except SlackApiFailure as failure:
            return {"ok": False, "error": failure.error}

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), timeout=seconds)

    def _queue(self, method: str, fault: _Fault) -> None:
        self._faults.setdefault(method, deque()).append(fault)

    def _next_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        return queue.popleft() if queue else None

    # ------------------------------------------------------------------ storage

    def _next_ts(self) -> str:
        self._ts_counter += 1
        micros = self._ts_counter * 100
        return f"{FIRST_TS_SECONDS + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _find(self, channel: str, ts: str) -> dict[str, Any]:
        for message in self._messages.get(channel, []):
            if message["ts"] == ts:
                return message
        raise KeyError(f"no message {ts} in {channel}")

    def _live(self, channel: str, ts: str) -> dict[str, Any] | None:
        if (channel, ts) in self._deleted:
            return None
        try:
            return self._find(channel, ts)
        except KeyError:
            return None

    def _store(
        self, channel: str, message: dict[str, Any], thread_ts: str | None
    ) -> dict[str, Any]:
        if thread_ts is not None:
            parent = self._live(channel, thread_ts)
            if parent is None:
                raise SlackApiFailure("thread_not_found")
            if parent.get("thread_ts") not in (None, parent["ts"]):
                # Replying to a reply threads under its parent, as in Slack.
                thread_ts = parent["thread_ts"]
                parent = self._find(channel, thread_ts)
            parent["thread_ts"] = parent["ts"]
            message["thread_ts"] = thread_ts
            message["parent_user_id"] = parent.get("user")
        message["ts"] = self._next_ts()
        self._messages.setdefault(channel, []).append(message)
        return message

    def _thread_view(
        self, channel: str, parent: dict[str, Any], include_metadata: bool
    ) -> list[dict[str, Any]]:
        replies = [
            message
            for message in self._messages.get(channel, [])
            if message.get("thread_ts") == parent["ts"]
            and message["ts"] != parent["ts"]
            and (channel, message["ts"]) not in self._deleted
        ]
        head = copy.deepcopy(parent)
        if replies:
            head["reply_count"] = len(replies)
            head["reply_users"] = sorted({reply.get("user", "") for reply in replies})
            head["reply_users_count"] = len(head["reply_users"])
            head["latest_reply"] = replies[-1]["ts"]
            head["subscribed"] = False
        out = [head, *(copy.deepcopy(reply) for reply in replies)]
        if not include_metadata:
            for message in out:
                message.pop("metadata", None)
        return out

    # ------------------------------------------------------------------ methods

    async def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": WORKSPACE_URL,
            "team": TEAM_NAME,
            "user": "storedesk",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _message_fields(self, params: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for name in ("text", "markdown_text"):
            if name in params:
                fields[name] = str(params[name])
        if "blocks" in params:
            blocks = _json_value("blocks", params["blocks"], "invalid_blocks_format")
            if not isinstance(blocks, list) or not all(
                isinstance(block, dict) and "type" in block for block in blocks
            ):
                raise SlackApiFailure("invalid_blocks")
            fields["blocks"] = blocks
        if "attachments" in params:
            attachments = _json_value("attachments", params["attachments"], "invalid_attachments")
            if not isinstance(attachments, list):
                raise SlackApiFailure("invalid_attachments")
            fields["attachments"] = attachments
        if "metadata" in params:
            metadata = _json_value("metadata", params["metadata"], "invalid_metadata_format")
            if (
                not isinstance(metadata, dict)
                or not isinstance(metadata.get("event_type"), str)
                or not isinstance(metadata.get("event_payload"), dict)
            ):
                raise SlackApiFailure("invalid_metadata_format")
            fields["metadata"] = metadata
        return fields

    @staticmethod
    def _require_channel(params: dict[str, Any]) -> str:
        channel = params.get("channel")
        if not isinstance(channel, str) or not channel:
            raise SlackApiFailure("channel_not_found")
        return channel

    async def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._require_channel(params)
        if channel in self._archived:
            raise SlackApiFailure("is_archived")
        fields = self._message_fields(params)
        if not any(fields.get(name) for name in ("text", "markdown_text", "blocks", "attachments")):
            raise SlackApiFailure("no_text")
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "team": TEAM_ID,
            "text": fields.get("text", fields.get("markdown_text", "")),
            **{key: value for key, value in fields.items() if key != "text"},
        }
        thread_ts = params.get("thread_ts")
        stored = self._store(channel, message, str(thread_ts) if thread_ts else None)
        return {
            "ok": True,
            "channel": channel,
            "ts": stored["ts"],
            "message": copy.deepcopy(stored),
        }

    async def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._require_channel(params)
        ts = str(params.get("ts", ""))
        message = self._live(channel, ts)
        if message is None:
            raise SlackApiFailure("message_not_found")
        if message.get("bot_id") != BOT_ID:
            raise SlackApiFailure("cant_update_message")
        fields = self._message_fields(params)
        message.update(fields)
        if "markdown_text" in fields and "text" not in fields:
            message["text"] = fields["markdown_text"]
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message.get("text", ""),
            "message": copy.deepcopy(message),
        }

    async def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._require_channel(params)
        ts = str(params.get("ts", ""))
        message = self._live(channel, ts)
        if message is None:
            raise SlackApiFailure("message_not_found")
        if message.get("bot_id") != BOT_ID:
            raise SlackApiFailure("cant_delete_message")
        self._deleted.add((channel, ts))
        return {"ok": True, "channel": channel, "ts": ts}

    async def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._require_channel(params)
        if channel in self._archived:
            raise SlackApiFailure("is_archived")
        user = params.get("user")
        if not isinstance(user, str) or not user:
            raise SlackApiFailure("user_not_found")
        fields = self._message_fields(params)
        if not any(fields.get(name) for name in ("text", "markdown_text", "blocks", "attachments")):
            raise SlackApiFailure("no_text")
        ts = self._next_ts()
        self.ephemeral_messages.append(
            {
                "channel": channel,
                "user": user,
                "ts": ts,
                "thread_ts": params.get("thread_ts"),
                **fields,
            }
        )
        return {"ok": True, "message_ts": ts}

    async def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._require_channel(params)
        ts = str(params.get("ts", ""))
        message = self._live(channel, ts)
        if message is None:
            raise SlackApiFailure("thread_not_found")
        parent_ts = message.get("thread_ts") or message["ts"]
        if parent_ts != message["ts"]:
            # ts of a reply: Slack answers with that reply only.
            out = [copy.deepcopy(message)]
            if not _truthy(params.get("include_all_metadata", False)):
                out[0].pop("metadata", None)
            return {"ok": True, "messages": out, "has_more": False}
        include = _truthy(params.get("include_all_metadata", False))
        return {
            "ok": True,
            "messages": self._thread_view(channel, message, include),
            "has_more": False,
        }

    # ------------------------------------------------------------------ Socket Mode

    async def _apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self._port}/link"}

    async def _socket_mode_link(self, request: web.Request) -> web.WebSocketResponse:
        """The websocket Slack offers in Socket Mode: hello, then envelopes to acknowledge."""
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": 1, "debug_info": {}})
        async for frame in socket:
            if frame.type != WSMsgType.TEXT:
                continue
            data = json.loads(frame.data)
            waiter = self._envelope_acks.pop(str(data.get("envelope_id")), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(data)
        self._sockets.remove(socket)
        return socket

    async def send_envelope(
        self, envelope_type: str, payload: dict[str, Any], within: float = 5.0
    ) -> dict[str, Any]:
        """Deliver an event or interaction over Socket Mode; returns the app's ack."""
        deadline = asyncio.get_running_loop().time() + within
        while not self._sockets:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("no Socket Mode connection was opened")
            await asyncio.sleep(0.05)
        self._envelope_counter += 1
        envelope_id = f"env-{self._envelope_counter}"
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._envelope_acks[envelope_id] = waiter
        await self._sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": envelope_type,
                "payload": payload,
                "accepts_response_payload": envelope_type != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        return await asyncio.wait_for(waiter, timeout=within)

    async def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Channel-root messages, newest first, as Slack returns them."""
        channel = self._require_channel(params)
        include = _truthy(params.get("include_all_metadata", False))
        roots = [m for m in self.messages(channel) if m.get("thread_ts") in (None, m["ts"])]
        out = []
        for message in reversed(roots):
            if not include:
                message.pop("metadata", None)
            out.append(message)
        return {"ok": True, "messages": out, "has_more": False}

    async def _chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._require_channel(params)
        ts = str(params.get("message_ts", ""))
        if self._live(channel, ts) is None:
            raise SlackApiFailure("message_not_found")
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"https://t.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    async def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("trigger_id") and not params.get("interactivity_pointer"):
            raise SlackApiFailure("invalid_arguments")
        if "view" not in params:
            raise SlackApiFailure("invalid_arguments")
        view = _json_value("view", params["view"], "invalid_arguments")
        if not isinstance(view, dict) or view.get("type") not in {"modal", "home"}:
            raise SlackApiFailure("invalid_arguments")
        self._view_counter += 1
        opened = {
            "id": f"V{self._view_counter:08d}",
            "team_id": TEAM_ID,
            "app_id": "ABOT",
            "bot_id": BOT_ID,
            "hash": f"{self._next_ts()}.hash",
            "state": {"values": {}},
            "previous_view_id": None,
            "root_view_id": f"V{self._view_counter:08d}",
            **copy.deepcopy(view),
        }
        self.opened_views.append({"trigger_id": params.get("trigger_id"), "view": opened})
        return {"ok": True, "view": opened}

    async def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user", "")))
        if user is None:
            raise SlackApiFailure("user_not_found")
        return {"ok": True, "user": copy.deepcopy(user)}

    async def _users_lookup_by_email(self, params: dict[str, Any]) -> dict[str, Any]:
        email = str(params.get("email", "")).strip().lower()
        for user in self.users.values():
            if str(user.get("profile", {}).get("email", "")).lower() == email and email:
                return {"ok": True, "user": copy.deepcopy(user)}
        raise SlackApiFailure("users_not_found")

    # ------------------------------------------------------------------ files_upload_v2

    async def _files_get_upload_url_external(self, params: dict[str, Any]) -> dict[str, Any]:
        """Step 1: announce a file (name and byte length); answer where to post its bytes."""
        filename = str(params.get("filename") or "")
        try:
            length = int(params.get("length", ""))
        except ValueError:
            raise SlackApiFailure("invalid_arguments") from None
        if not filename or length <= 0:
            raise SlackApiFailure("invalid_arguments")
        self._file_counter += 1
        file_id = f"F{self._file_counter:08d}"
        self.pending_files[file_id] = {
            "name": filename,
            "length": length,
            "alt_txt": params.get("alt_txt"),
        }
        return {
            "ok": True,
            "file_id": file_id,
            "upload_url": f"http://127.0.0.1:{self._port}/upload/{file_id}",
        }

    async def _upload(self, request: web.Request) -> web.Response:
        """Step 2: the file's bytes, posted as the body (Slack answers 200 "OK - <n>")."""
        file_id = request.match_info["file_id"]
        body = await request.read()
        announced = self.pending_files.get(file_id)
        if announced is None:
            self.upload_problems.append(f"upload to unknown file id {file_id}")
            return web.Response(status=404, text="not found")
        if len(body) != announced["length"]:
            self.upload_problems.append(
                f"upload {file_id}: {len(body)} bytes, announced {announced['length']}"
            )
        self.uploads[file_id] = body
        return web.Response(text=f"OK - {len(body)}")

    async def _files_complete_upload_external(self, params: dict[str, Any]) -> dict[str, Any]:
        """Step 3: share the uploaded files, as one message in the channel or thread."""
        files = _json_value("files", params.get("files"), "invalid_arguments")
        if not isinstance(files, list) or not files:
            raise SlackApiFailure("invalid_arguments")
        shared = []
        for entry in files:
            file_id = str(entry.get("id", "")) if isinstance(entry, dict) else ""
            if file_id not in self.uploads:
                raise SlackApiFailure("file_not_found")
            announced = self.pending_files[file_id]
            shared.append(
                {
                    "id": file_id,
                    "name": announced["name"],
                    "title": entry.get("title") or announced["name"],
                    "size": len(self.uploads[file_id]),
                    "alt_txt": announced["alt_txt"],
                }
            )
        channel = params.get("channel_id") or params.get("channels")
        if channel:
            channel = str(channel).split(",")[0]
            if channel in self._archived:
                raise SlackApiFailure("is_archived")
            message = {
                "type": "message",
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "text": str(params.get("initial_comment") or ""),
                "files": copy.deepcopy(shared),
            }
            thread_ts = params.get("thread_ts")
            self._store(channel, message, str(thread_ts) if thread_ts else None)
        return {"ok": True, "files": shared}
