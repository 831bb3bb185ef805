"""`storedesk digest --store S --period P --out DIR` on a history made by the real pipeline."""

from __future__ import annotations

import asyncio
import io

from PIL import Image
from sqlalchemy import text

import main
from bot.domain.commands import ReceiveCustomerMessage
from scheduler import cli as digest_cli
from scheduler.charts import CHART_HEIGHT, CHART_WIDTH

QUESTIONS = [
    ("c-1", "Where is my order?"),
    ("c-2", "My order has not arrived yet, where is it?"),
    ("c-3", "where is my order??"),
    ("c-4", "Is your CEO married?"),
]


async def drafted_all(app, count: int, within: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        async with app.db.read_sessions() as session:
            done = (await session.execute(text("SELECT count(*) FROM drafts"))).scalar_one()
        if done >= count:
            return
        assert asyncio.get_running_loop().time() < deadline, "drafting did not finish"
        await asyncio.sleep(0.05)


async def test_digest_command_writes_markdown_and_charts(app, tmp_path) -> None:
    for number, (customer, question) in enumerate(QUESTIONS):
        await app.core.bus.handle(
            ReceiveCustomerMessage("nw-market", f"m-{number}", customer, customer, question)
        )
    await drafted_all(app, len(QUESTIONS))
    out = tmp_path / "digest"
    args = main._parser().parse_args(
        ["digest", "--store", "northwind", "--period", "today", "--out", str(out)]
    )
    assert await digest_cli.run(args, app.settings) == 0

    markdown = (out / "digest.md").read_text(encoding="utf-8")
    assert "# Daily digest · Northwind Apparel ·" in markdown
    assert "- Conversations: **4**" in markdown
    assert "messages in 4 / out 0" in markdown
    hot = markdown.split("## Hot questions", 1)[1]
    assert "×3" in hot.splitlines()[1] and "order" in hot.splitlines()[1].lower()
    assert "## Knowledge gaps" in markdown and "CEO married" in markdown
    for name in ("response-time.png", "volume-by-store.png", "intent-mix.png"):
        assert f"]({name})" in markdown
        with Image.open(io.BytesIO((out / name).read_bytes())) as image:
            assert image.size == (CHART_WIDTH, CHART_HEIGHT)


async def test_digest_command_refuses_an_unknown_store_or_period(app, tmp_path, capsys) -> None:
    parse = main._parser().parse_args
    out = str(tmp_path / "x")
    unknown = parse(["digest", "--store", "nowhere", "--out", out])
    assert await digest_cli.run(unknown, app.settings) == 2
    bad_period = parse(["digest", "--store", "northwind", "--period", "someday", "--out", out])
    assert await digest_cli.run(bad_period, app.settings) == 2
    errors = capsys.readouterr().err
    assert "unknown store 'nowhere'" in errors
    assert "'someday' is not yesterday, today, last-week, this-week or YYYY-MM-DD" in errors
