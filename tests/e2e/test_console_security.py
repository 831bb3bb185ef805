"""Console sign-in, sessions and CSRF: every change needs a signed-in member and the token."""

from __future__ import annotations

import aiohttp
import pytest

from bot.config import Settings
from main import start_app
from tests.support.config import settings_dict
from tests.support.console_client import ConsoleClient
from tests.support.webhook_client import post_webhook, webhook_body


@pytest.fixture
async def token_app(tmp_path, callback_server, embedder, monkeypatch):
    monkeypatch.setenv("TOKEN_SAM", "sam-secret-token-123")
    raw = settings_dict(tmp_path / "data", callback_server.url)
    raw["members"][1]["token_env"] = "TOKEN_SAM"
    raw["console"]["demo_sign_in"] = False
    running = await start_app(Settings.model_validate(raw), port=0, embedder=embedder)
    yield running
    await running.stop()


async def _sign_in_with_token(app, token: str) -> tuple[int, aiohttp.ClientSession]:
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.post(
        f"{app.base_url}/console/signin", data={"token": token}, allow_redirects=False
    ) as response:
        return response.status, session


async def test_a_member_signs_in_with_the_token_from_the_environment(token_app):
    status, session = await _sign_in_with_token(token_app, "sam-secret-token-123")
    async with session:
        assert status == 303
        async with session.get(f"{token_app.base_url}/api/me") as response:
            me = await response.json()
    assert me["member"]["id"] == "sam"
    assert {s["id"]: s["role"] for s in me["stores"]} == {"northwind": "lead", "dragon": "lead"}


async def test_a_wrong_token_is_refused(token_app):
    status, session = await _sign_in_with_token(token_app, "guess")
    async with session:
        assert status == 401
        async with session.get(f"{token_app.base_url}/api/me") as response:
            assert response.status == 401


async def test_a_forged_sign_in_link_is_refused(app, http):
    url = f"{app.base_url}/console/signin?member=sam&code=deadbeef"
    async with http.get(url, allow_redirects=False) as response:
        assert response.status == 401


async def test_changes_without_the_csrf_token_are_refused(app, http):
    await post_webhook(
        http, app.base_url, webhook_body("s-1", "Which payment methods do you accept?")
    )
    async with ConsoleClient(app, "sam") as lead:
        conversation_id = (await lead.get("/api/stores/northwind/conversations"))[1][
            "conversations"
        ][0]["id"]
        status, body = await lead.post(
            f"/api/conversations/{conversation_id}/notes",
            {"text": "hi"},
            headers={"X-CSRF-Token": "wrong"},
        )
        assert status == 403
        assert "CSRF" in body["error"]
        status, _ = await lead.post(f"/api/conversations/{conversation_id}/notes", {"text": "ok"})
        assert status == 200


async def test_a_member_cannot_read_a_store_they_have_no_role_in(app, http):
    await post_webhook(http, app.base_url, webhook_body("s-2", "How do I return an item?"))
    async with ConsoleClient(app, "sam") as lead:
        conversation_id = (await lead.get("/api/stores/northwind/conversations"))[1][
            "conversations"
        ][0]["id"]
    async with ConsoleClient(app, "li") as other_store_agent:
        status, _ = await other_store_agent.get(f"/api/conversations/{conversation_id}")
        assert status == 404
        status, _ = await other_store_agent.get("/api/stores/northwind/conversations")
        assert status == 404
        status, _ = await other_store_agent.post(
            f"/api/conversations/{conversation_id}/notes", {"text": "peek"}
        )
        assert status == 403
