"""The evidence chain: any edit, gap or truncation of audit_events is found and named."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

import main
from bot.config import Settings, load_settings
from bot.domain.commands import AddNote, ApproveDraft, ReceiveCustomerMessage, Resolve
from bot.domain.errors import NotAuthorized
from storage.audit import verify_chains
from storage.orm import audit_events
from tests.support.config import settings_dict

# --- a tiny TOML writer, so the CLI reads the very config the app runs with -----------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def to_toml(table: dict[str, Any], path: tuple[str, ...] = ()) -> str:
    lines = [f"{_key(k)} = {_value(v)}" for k, v in table.items() if not _is_table_array(v)]
    for name, items in table.items():
        if _is_table_array(items):
            header = ".".join(_key(p) for p in (*path, name))
            for item in items:
                lines += ["", f"[[{header}]]", to_toml(item, (*path, name))]
    return "\n".join(lines)


def write_config(app, tmp_path: Path) -> Path:
    raw = settings_dict(Path(app.settings.storage.data_dir), "http://127.0.0.1:9")
    raw["storage"]["database_url"] = app.settings.storage.database_url
    path = tmp_path / "storedesk.toml"
    path.write_text(to_toml(raw) + "\n", encoding="utf-8")
    assert load_settings(path) == Settings.model_validate(raw)  # the writer round-trips
    return path


# --- activity and tampering -----------------------------------------------------------------


async def count(app, sql: str, **params) -> int:
    async with app.db.read_sessions() as session:
        return int((await session.execute(text(sql), params)).scalar_one())


async def wait_for_idle_outbox(app, within: float = 10.0) -> None:
    """Drafting runs in the app's outbox worker; poll (bounded) until it has caught up."""
    busy = "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
    deadline = asyncio.get_running_loop().time() + within
    while await count(app, busy):
        assert asyncio.get_running_loop().time() < deadline, "outbox still busy"
        await asyncio.sleep(0.02)


async def some_activity(app) -> None:
    bus = app.core.bus
    shipping = await bus.handle(
        ReceiveCustomerMessage("nw-market", "m-1", "c-1", "Jo", "How long does shipping take?")
    )
    refund = await bus.handle(
        ReceiveCustomerMessage("nw-market", "m-2", "c-2", "Al", "I want a refund")
    )
    await bus.handle(ReceiveCustomerMessage("dragon-web", "d-1", "c-3", "王", "多久发货？"))
    await bus.handle(AddNote(shipping.conversation_id, "ana", "checking with the carrier"))
    await wait_for_idle_outbox(app)
    draft_id = await _pending_draft(app, refund.conversation_id)
    with pytest.raises(NotAuthorized):
        await bus.handle(ApproveDraft(draft_id, "ana"))  # a refusal is evidence too
    await bus.handle(Resolve(refund.conversation_id, "sam"))
    await wait_for_idle_outbox(app)


async def _pending_draft(app, conversation_id: str) -> str:
    async with app.db.read_sessions() as session:
        return (
            await session.execute(
                text("SELECT id FROM drafts WHERE conversation_id = :c AND status = 'pending'"),
                {"c": conversation_id},
            )
        ).scalar_one()


async def verify(app):
    async with app.db.read_sessions() as session:
        return await verify_chains(session)


async def chain_events(app, chain: str = "northwind") -> list[Any]:
    async with app.db.read_sessions() as session:
        return list(
            await session.execute(
                select(audit_events)
                .where(audit_events.c.chain == chain)
                .order_by(audit_events.c.chain_seq)
            )
        )


async def execute(app, sql: str, **params) -> None:
    async with app.db.writer.begin() as connection:
        await connection.execute(text(sql), params)


# --- the specification ----------------------------------------------------------------------


async def test_an_untouched_log_verifies(app):
    await some_activity(app)
    checked, problem = await verify(app)
    assert problem is None
    assert checked == await count(app, "SELECT count(*) FROM audit_events")
    kinds = {e.kind for e in await chain_events(app)}
    assert {"received", "triaged", "drafted", "noted", "denied", "resolved"} <= kinds
    assert [e.chain_seq for e in await chain_events(app, "dragon")] == [1, 2, 3]


async def test_each_store_has_its_own_chain(app):
    await some_activity(app)
    northwind = await chain_events(app, "northwind")
    assert [e.chain_seq for e in northwind] == list(range(1, len(northwind) + 1))
    assert await count(app, "SELECT count(*) FROM audit_events WHERE chain <> store_id") == 0


@pytest.mark.parametrize(
    ("column", "new_value"),
    [
        ("payload", json.dumps({"message_id": "forged"})),
        ("actor", "someone-else"),
        ("kind", "forged"),
    ],
)
async def test_an_edited_event_is_reported_as_the_first_bad_one(app, column, new_value):
    await some_activity(app)
    events = await chain_events(app)
    victim = events[len(events) // 2]
    await execute(
        app, f"UPDATE audit_events SET {column} = :v WHERE seq = :seq", v=new_value, seq=victim.seq
    )

    _checked, problem = await verify(app)

    assert problem is not None
    assert (problem.chain, problem.seq, problem.chain_seq) == (
        "northwind",
        victim.seq,
        victim.chain_seq,
    )
    assert "does not match its hash" in problem.reason
    assert f"seq={victim.seq}" in str(problem)


async def test_changing_one_character_of_a_payload_is_found(app):
    await some_activity(app)
    received = next(e for e in await chain_events(app) if e.kind == "received")
    digest = received.payload["text_sha256"]
    forged = {**received.payload, "text_sha256": digest[:-1] + ("1" if digest[-1] == "0" else "0")}
    await execute(
        app,
        "UPDATE audit_events SET payload = :p WHERE seq = :seq",
        p=json.dumps(forged),
        seq=received.seq,
    )
    _checked, problem = await verify(app)
    assert problem is not None
    assert problem.seq == received.seq


async def test_a_deleted_middle_event_is_reported_missing(app):
    await some_activity(app)
    events = await chain_events(app)
    gone, after = events[2], events[3]
    await execute(app, "DELETE FROM audit_events WHERE seq = :seq", seq=gone.seq)

    _checked, problem = await verify(app)

    assert problem is not None
    assert problem.chain == "northwind"
    assert problem.chain_seq == gone.chain_seq
    assert problem.seq == after.seq
    assert "event missing" in problem.reason


async def test_a_deleted_last_event_is_detected(app):
    await some_activity(app)
    last = (await chain_events(app))[-1]
    await execute(app, "DELETE FROM audit_events WHERE seq = :seq", seq=last.seq)

    _checked, problem = await verify(app)

    assert problem is not None
    assert problem.chain == "northwind"
    assert problem.seq is None
    assert problem.chain_seq == last.chain_seq
    assert "end of the chain were removed" in problem.reason


async def test_events_of_a_chain_without_a_head_are_reported(app):
    await some_activity(app)
    await execute(app, "DELETE FROM audit_heads WHERE chain = 'dragon'")
    _checked, problem = await verify(app)
    assert problem is not None
    assert problem.chain == "dragon"
    assert "no head" in problem.reason


async def test_cli_audit_verify_exits_0_on_an_intact_log_and_1_naming_a_tampered_event(
    app, tmp_path, capsys
):
    await some_activity(app)
    config = write_config(app, tmp_path)
    argv = ["--config", str(config), "audit", "verify"]
    total = await count(app, "SELECT count(*) FROM audit_events")

    assert await asyncio.to_thread(main.cli, argv) == 0
    intact = capsys.readouterr()
    assert f"audit chain intact: {total} events verified" in intact.out
    assert intact.err == ""

    victim = (await chain_events(app))[1]
    await execute(app, "UPDATE audit_events SET actor = 'mallory' WHERE seq = :seq", seq=victim.seq)
    assert await asyncio.to_thread(main.cli, argv) == 1
    broken = capsys.readouterr()
    assert "audit chain BROKEN" in broken.err
    assert f"event seq={victim.seq} " in broken.err
    assert "'northwind'" in broken.err
