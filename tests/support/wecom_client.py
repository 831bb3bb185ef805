"""WeCom on the test app: the config section, and callbacks sealed as WeCom seals them."""

from __future__ import annotations

import base64
import secrets
import time
from typing import Any

import aiohttp

from bot.workspaces.wecom.crypto import WeComCrypto
from tests.support.fake_wecom import AGENT_ID, CORP_ID, SECRET

WECOM_TOKEN = "wecomCallbackToken1"
WECOM_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeCom's
WECOM_ENV = {"WECOM_SECRET": SECRET, "WECOM_TOKEN": WECOM_TOKEN, "WECOM_AES_KEY": WECOM_AES_KEY}
WECOM_USER_IDS = {"ana": "ana.w", "sam": "sam.w", "chen": "chen.w"}
ROUTE = "/wecom/callback"


def add_wecom(raw: dict[str, Any], api_url: str, *, chat_id: str | None = None) -> dict[str, Any]:
    """Northwind's WeCom group (given, or created on demand) on a fake WeCom API."""
    raw["wecom"] = {
        "corp_id": CORP_ID,
        "agent_id": AGENT_ID,
        "api_base_url": api_url,
        "timeout_seconds": 5,
        "rate_limit_retry_seconds": 0.3,
    }
    raw["stores"][0]["wecom"] = {"chat_id": chat_id} if chat_id else {}
    for member in raw["members"]:
        if member["id"] in WECOM_USER_IDS:
            member["wecom_user_id"] = WECOM_USER_IDS[member["id"]]
    return raw


def crypto(receive_id: str = CORP_ID, aes_key: str = WECOM_AES_KEY) -> WeComCrypto:
    return WeComCrypto(WECOM_TOKEN, base64.b64decode(aes_key + "="), receive_id)


def xml(fields: dict[str, Any]) -> bytes:
    inner = "".join(
        f"<{k}>{v}</{k}>" if isinstance(v, int) else f"<{k}><![CDATA[{v}]]></{k}>"
        for k, v in fields.items()
    )
    return f"<xml>{inner}</xml>".encode()


def text_message(userid: str, content: str, msg_id: str | None = None) -> bytes:
    return xml(
        {
            "ToUserName": CORP_ID,
            "FromUserName": userid,
            "CreateTime": int(time.time()),
            "MsgType": "text",
            "Content": content,
            "MsgId": msg_id or str(secrets.randbelow(10**18)),
            "AgentID": AGENT_ID,
        }
    )


def card_press(userid: str, task_id: str, key: str, code: str, at: int | None = None) -> bytes:
    return xml(
        {
            "ToUserName": CORP_ID,
            "FromUserName": userid,
            "CreateTime": at or int(time.time()),
            "MsgType": "event",
            "Event": "template_card_event",
            "EventKey": key,
            "TaskId": task_id,
            "CardType": "button_interaction",
            "ResponseCode": code,
            "AgentID": AGENT_ID,
        }
    )


def sealed(
    plain: bytes,
    *,
    sealer: WeComCrypto | None = None,
    timestamp: int | None = None,
    tamper: bool = False,
) -> tuple[dict[str, str], bytes]:
    """The query and body WeCom would POST for `plain`."""
    sealer = sealer or crypto()
    encrypted = sealer.encrypt(plain)
    stamp, nonce = str(timestamp or int(time.time())), secrets.token_hex(5)
    signature = sealer.sign(stamp, nonce, encrypted)
    if tamper:
        signature = ("0" if signature[0] != "0" else "1") + signature[1:]
    query = {"msg_signature": signature, "timestamp": stamp, "nonce": nonce}
    body = xml({"ToUserName": CORP_ID, "AgentID": AGENT_ID, "Encrypt": encrypted})
    return query, body


async def post_callback(
    http: aiohttp.ClientSession, base_url: str, plain: bytes, **kw: Any
) -> tuple[int, str]:
    query, body = sealed(plain, **kw)
    async with http.post(f"{base_url}{ROUTE}", params=query, data=body) as response:
        return response.status, await response.text()
