"""Every inbound route rejects hostile input with a clear status, and stores nothing.

The same list of attacks goes to each route that takes data from outside: forged or
missing signatures, bodies over the limit, malformed JSON, invalid UTF-8, JSON nested
deeper than any parser should follow, the wrong shape, unknown accounts. Signed routes get
correctly signed garbage too, so the parser (not just the signature check) is attacked.
After every attack the tables that intake writes are still empty.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.workspaces.lark.crypto import signature as lark_signature
from connectors.shopify.webhooks import sign as shopify_sign
from connectors.webhook.signature import sign as webhook_sign
from connectors.whatsapp.signature import sign as whatsapp_sign
from main import RunningApp
from storage.orm import inbound_receipts, messages, shop_orders
from tests.support.config import TELEGRAM_ENV, WEBHOOK_SECRET, add_telegram
from tests.support.custom_app import start_custom_app, store_of
from tests.support.fake_lark import LARK_ENV, add_lark
from tests.support.fake_telegram import FakeTelegram
from tests.support.wecom_client import WECOM_ENV, add_wecom, crypto, sealed, text_message

WA_SECRET = "hostile-wa-secret"
SHOP_SECRET = "hostile-shop-secret"
LIMIT = 1024 * 1024

DEEP = b"[" * 100_000 + b"]" * 100_000
ATTACKS: dict[str, bytes] = {
    "malformed JSON": b'{"message_id": "m-1", "text": ',
    "invalid UTF-8": b'{"message_id": "m-1", "text": "\xff\xfe\xfa"}',
    "deep nesting": DEEP,
    "not an object": b'[{"message_id": "m-1"}]',
    "oversized": b'{"pad": "' + b"x" * LIMIT + b'"}',
}


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    unknown_path: str
    sign: Callable[[bytes], dict[str, str]]
    forged: Callable[[bytes], dict[str, str]]


def _webhook_headers(secret: str) -> Callable[[bytes], dict[str, str]]:
    def headers(body: bytes) -> dict[str, str]:
        now = int(time.time())
        return {
            "Content-Type": "application/json",
            "X-Storedesk-Timestamp": str(now),
            "X-Storedesk-Signature": webhook_sign(secret, now, body),
        }

    return headers


def _lark_headers(body: bytes, key: str) -> dict[str, str]:
    """Lark's signature headers over `body` as it is (the attack, not an encrypted event)."""
    timestamp, nonce = str(int(time.time())), "hostile-nonce"
    return {
        "Content-Type": "application/json",
        "X-Lark-Request-Timestamp": timestamp,
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": lark_signature(timestamp, nonce, key, body),
    }


ROUTES = [
    Route(
        "signed webhook",
        "/hooks/nw-market",
        "/hooks/no-such-account",
        _webhook_headers(WEBHOOK_SECRET),
        _webhook_headers("not-the-secret"),
    ),
    Route(
        "whatsapp",
        "/whatsapp/nw-whatsapp",
        "/whatsapp/no-such-account",
        lambda body: {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": whatsapp_sign(WA_SECRET, body),
        },
        lambda body: {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": whatsapp_sign("not-the-secret", body),
        },
    ),
    Route(
        "telegram store bot",
        "/tg/nw-telegram",
        "/tg/no-such-bot",
        lambda _body: {
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_ENV["TG_NORTHWIND_SECRET"],
        },
        lambda _body: {
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": "not-the-secret",
        },
    ),
    Route(
        "lark events",
        "/lark/events",
        "/lark/events/no-such-app",
        lambda body: _lark_headers(body, "hostile-lark-key"),
        lambda body: _lark_headers(body, "not-the-key"),
    ),
    Route(
        "shopify",
        "/shopify/webhooks/northwind",
        "/shopify/webhooks/no-such-store",
        lambda body: {
            "Content-Type": "application/json",
            "X-Shopify-Hmac-SHA256": shopify_sign(SHOP_SECRET, body),
            "X-Shopify-Event-Id": "e-1",
            "X-Shopify-Topic": "orders/create",
        },
        lambda body: {
            "Content-Type": "application/json",
            "X-Shopify-Hmac-SHA256": shopify_sign("not-the-secret", body),
            "X-Shopify-Event-Id": "e-1",
            "X-Shopify-Topic": "orders/create",
        },
    ),
]


@pytest.fixture
async def exposed_app(tmp_path, database_url, embedder, monkeypatch) -> AsyncIterator[RunningApp]:
    """The test app with every inbound connector switched on."""
    monkeypatch.setenv("HOSTILE_WA_TOKEN", "wa-token")
    monkeypatch.setenv("HOSTILE_WA_VERIFY", "wa-verify")
    for name, value in {
        **TELEGRAM_ENV,
        **WECOM_ENV,
        **LARK_ENV,
        "LARK_ENCRYPT_KEY": "hostile-lark-key",
    }.items():
        monkeypatch.setenv(name, value)
    async with FakeTelegram() as telegram:
        app = await start_custom_app(
            tmp_path, database_url, embedder, lambda config: expose(config, telegram.url)
        )
        yield app
        await app.stop()


def expose(config: dict[str, Any], telegram_url: str) -> None:
    add_telegram(config, telegram_url)
    add_lark(config, "http://127.0.0.1:9")
    add_wecom(config, "http://127.0.0.1:9")
    store = store_of(config)
    store["channels"].append(
        {
            "id": "nw-whatsapp",
            "kind": "whatsapp",
            "secret": WA_SECRET,
            "whatsapp": {
                "phone_number_id": "106540352242922",
                "access_token_env": "HOSTILE_WA_TOKEN",
                "verify_token_env": "HOSTILE_WA_VERIFY",
                "api_url": "http://127.0.0.1:9",
            },
        }
    )
    store["lookup"] = {
        "kind": "shopify",
        "base_url": "http://127.0.0.1:9",
        "webhook_secret": SHOP_SECRET,
    }


async def stored_rows(app: RunningApp) -> dict[str, int]:
    async with app.db.read_sessions() as session:
        return {
            table.name: (
                await session.execute(select(func.count()).select_from(table))
            ).scalar_one()
            for table in (messages, inbound_receipts, shop_orders)
        }


async def post(
    http: aiohttp.ClientSession, app: RunningApp, path: str, body: bytes, headers: dict[str, str]
) -> int:
    async with http.post(app.base_url + path, data=body, headers=headers) as response:
        await response.read()
        return response.status


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
async def test_every_attack_is_refused_and_nothing_is_stored(exposed_app, http, route: Route):
    app = exposed_app
    valid = b'{"message_id": "m-1", "text": "hello"}'
    outcomes = {
        "forged signature": await post(http, app, route.path, valid, route.forged(valid)),
        "no signature": await post(
            http, app, route.path, valid, {"Content-Type": "application/json"}
        ),
        "unknown account": await post(http, app, route.unknown_path, valid, route.sign(valid)),
    }
    for attack, body in ATTACKS.items():
        outcomes[attack] = await post(http, app, route.path, body, route.sign(body))

    assert outcomes == {
        "forged signature": 401,
        "no signature": 401,
        "unknown account": 404,
        "malformed JSON": 400,
        "invalid UTF-8": 400,
        "deep nesting": 400,
        "not an object": 400,
        "oversized": 413,
    }
    assert await stored_rows(app) == {"messages": 0, "inbound_receipts": 0, "shop_orders": 0}


async def test_web_chat_refuses_hostile_bodies_and_stores_nothing(exposed_app, http):
    app = exposed_app
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        async with browser.get(f"{app.base_url}/chat/northwind") as page:
            assert page.status == 200
        json_type = {"Content-Type": "application/json"}
        outcomes = {
            "no chat cookie": await post(http, app, "/chat/northwind/messages", b"{}", json_type),
            "unknown store": await post(
                browser, app, "/chat/no-such-store/messages", b"{}", json_type
            ),
            "wrong content type": await post(
                browser,
                app,
                "/chat/northwind/messages",
                b'{"client_message_id": "1", "text": "hi"}',
                {"Content-Type": "text/plain"},
            ),
            "lone surrogate": await post(
                browser,
                app,
                "/chat/northwind/messages",
                b'{"client_message_id": "1", "text": "\\ud800"}',
                json_type,
            ),
        }
        for attack, body in ATTACKS.items():
            outcomes[attack] = await post(browser, app, "/chat/northwind/messages", body, json_type)

    assert outcomes == {
        "no chat cookie": 401,
        "unknown store": 404,
        "wrong content type": 400,
        "lone surrogate": 400,
        "malformed JSON": 400,
        "invalid UTF-8": 400,
        "deep nesting": 400,
        "not an object": 400,
        "oversized": 413,
    }
    assert await stored_rows(app) == {"messages": 0, "inbound_receipts": 0, "shop_orders": 0}


async def test_a_large_legitimate_body_is_read_whole_and_accepted(exposed_app, http):
    """Bodies arrive in parts: a signature over a partly read body would wrongly fail."""
    app = exposed_app
    body = (
        b'{"message_id": "m-big", "customer": {"id": "c-1", "name": "Jo"}, "text": "hello", '
        b'"sent_at": "2026-11-23T10:00:00Z", "marketplace_context": "'
        + b"x" * (LIMIT - 200)
        + b'"}'
    )
    assert len(body) <= LIMIT
    status = await post(http, app, "/hooks/nw-market", body, _webhook_headers(WEBHOOK_SECRET)(body))
    assert status == 202
    assert (await stored_rows(app))["messages"] == 1


def _sealed_body(plain: bytes, **kw: Any) -> tuple[str, bytes]:
    query, body = sealed(plain, **kw)
    return "/wecom/callback?" + "&".join(f"{k}={v}" for k, v in query.items()), body


async def test_the_wecom_callback_refuses_every_attack_and_stores_nothing(exposed_app, http):
    app = exposed_app
    valid = text_message("sam.w", "reply 00000000 hello")
    forged_path, forged_body = _sealed_body(valid, tamper=True)
    attacks = {
        "forged signature": (forged_path, forged_body),
        "no signature": ("/wecom/callback", _sealed_body(valid)[1]),
        "stale timestamp": _sealed_body(valid, timestamp=1_000_000_000),
        "another corp": _sealed_body(valid, sealer=crypto("wwsomeothercorp")),
        "malformed XML": (_sealed_body(valid)[0], b"<xml><Encrypt>abc</xml>"),
        "DTD and entities": (
            _sealed_body(valid)[0],
            b'<!DOCTYPE xml [<!ENTITY e "x">]><xml><Encrypt>&e;</Encrypt></xml>',
        ),
        "invalid UTF-8": (_sealed_body(valid)[0], b"<xml><Encrypt>\xff\xfe</Encrypt></xml>"),
        "deep nesting": (_sealed_body(valid)[0], b"<a>" * 10_000 + b"</a>" * 10_000),
        "no Encrypt": (_sealed_body(valid)[0], b"<xml><ToUserName>x</ToUserName></xml>"),
        "signed garbage": _sealed_body(b"not xml at all {"),
        "signed DTD": _sealed_body(b'<!DOCTYPE xml [<!ENTITY e "x">]><xml><C>&e;</C></xml>'),
        "oversized": (
            _sealed_body(valid)[0],
            b"<xml><Encrypt>" + b"A" * LIMIT + b"</Encrypt></xml>",
        ),
    }
    outcomes = {
        name: await post(http, app, path, body, {"Content-Type": "text/xml"})
        for name, (path, body) in attacks.items()
    }
    assert outcomes == {
        "forged signature": 403,
        "no signature": 403,
        "stale timestamp": 403,
        "another corp": 403,
        "malformed XML": 400,
        "DTD and entities": 400,
        "invalid UTF-8": 400,
        "deep nesting": 400,
        "no Encrypt": 400,
        "signed garbage": 400,
        "signed DTD": 400,
        "oversized": 413,
    }
    assert await stored_rows(app) == {"messages": 0, "inbound_receipts": 0, "shop_orders": 0}
