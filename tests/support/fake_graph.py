"""A fake Meta Graph API on 127.0.0.1 for WhatsApp Cloud: `POST /<version>/<phone>/messages`.

It checks each request the way the Cloud API documents it (bearer token, JSON body with
`messaging_product: whatsapp`, `to`, and a `text.body` or a `template` with `name` and
`language.code`) and answers `{"messaging_product", "contacts": [{"input", "wa_id"}],
"messages": [{"id"}]}`; a bad request gets the documented `{"error": {...}}` envelope.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "EAAG-test-access-token"
VERSION = "v21.0"


def _problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "body must be a JSON object"
    if body.get("messaging_product") != "whatsapp":
        return "messaging_product must be whatsapp"
    if not isinstance(body.get("to"), str) or not body["to"].isdigit():
        return "to must be a phone number (digits)"
    kind = body.get("type")
    if kind == "text":
        text = body.get("text")
        if not isinstance(text, dict) or not isinstance(text.get("body"), str) or not text["body"]:
            return "text.body is required"
        if len(text["body"]) > 4096:
            return "text.body longer than 4096"
    elif kind == "template":
        template = body.get("template")
        if not isinstance(template, dict) or not template.get("name"):
            return "template.name is required"
        if not isinstance(template.get("language"), dict) or not template["language"].get("code"):
            return "template.language.code is required"
    else:
        return f"unsupported type {kind!r}"
    context = body.get("context")
    if context is not None and not str((context or {}).get("message_id", "")).startswith("wamid."):
        return "context.message_id must be a wamid"
    return None


@dataclass
class FakeGraph:
    sent: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    @property
    def api_url(self) -> str:
        return f"{self.url}/{VERSION}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(f"/{VERSION}/{{phone}}/messages", self._messages)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _messages(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _error(401, 190, "Invalid OAuth access token.")
        try:
            body = json.loads(await request.read())
        except ValueError:
            return _error(400, 100, "Invalid JSON")
        problem = _problem(body)
        if problem is not None:
            return _error(400, 100, f"(#100) Invalid parameter: {problem}")
        if self.fail_next:
            status, error = self.fail_next.pop(0)
            return web.json_response({"error": error}, status=status)
        wamid = f"wamid.OUT{len(self.sent) + 1:04d}"
        self.sent.append({"phone_number_id": request.match_info["phone"], **body})
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": wamid}],
            }
        )


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": "OAuthException", "code": code}}, status=status
    )
