"""`storedesk knowledge import|export` through the real CLI: Markdown folders with front
matter, CSV and JSON; bad entries are named by file, line and reason while the rest
imports; re-importing unchanged files and round trips through export change nothing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from knowledge.articles import Status
from main import cli
from storage import knowledge as rows
from storage.database import open_database

RETURNS_MD = """---
id: northwind/returns
brand: Northwind
store: ""
language: en
valid_from: 2026-01-01T00:00:00+00:00
qa:
  - question: Do you refund shipping?
    answer: Shipping is refunded when the item is faulty.
variables:
  days: "30"
author: sam
---
# Return policy

Return unworn items within 30 days.
"""

CARE_MD = """# Product care

## Wool
Hand wash wool in lukewarm water.
"""

BROKEN_YAML_MD = """---
title: [unclosed
---
Body.
"""

BAD_DATE_MD = """---
title: Sale
valid_until: next friday
---
Half price.
"""

FAQ_CSV = """question,answer,language,variables
How long does shipping take?,2-4 business days.,en,
Which cards do you take?,,en,
Do you ship to Norway?,"Yes, in 5 days.",en,"{""days"": ""5""}"
Gift wrap?,Yes.,en,not json
"""

ITEMS_JSON = """[
  {"id": "dragon/warranty", "store": "dragon", "language": "zh",
   "title": "保修多久？", "body": "所有电子产品享有一年保修。"},
  "not an object",
  {"body": "no title here"},
  {"title": "Unknown store", "body": "x", "store": "nowhere"}
]
"""


def config(tmp_path: Path, database_url: str) -> Path:
    path = tmp_path / "storedesk.toml"
    path.write_text(
        f"""
[storage]
database_url = "{database_url}"
data_dir = "{tmp_path / "data"}"

[[stores]]
id = "northwind"
name = "Northwind Apparel"
brand = "Northwind"
languages = ["en"]

[[stores]]
id = "dragon"
name = "Dragon Electronics"
brand = "Dragon"
languages = ["zh"]
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    (folder / "policies").mkdir(parents=True)
    (folder / "policies" / "returns.md").write_text(RETURNS_MD, encoding="utf-8")
    (folder / "policies" / "care.md").write_text(CARE_MD, encoding="utf-8")
    (folder / "broken.md").write_text(BROKEN_YAML_MD, encoding="utf-8")
    (folder / "bad-date.md").write_text(BAD_DATE_MD, encoding="utf-8")
    (folder / "faq.csv").write_text(FAQ_CSV, encoding="utf-8")
    (folder / "items.json").write_text(ITEMS_JSON, encoding="utf-8")
    return folder


def active(database_url: str):
    async def load():
        db = open_database(database_url)
        try:
            async with db.read_sessions() as session:
                return await rows.active_articles(session)
        finally:
            await db.dispose()

    return {a.id: a for a in asyncio.run(load())}


def test_each_format_imports_and_bad_entries_are_named_while_the_rest_imports(
    tmp_path, knowledge_dir, database_url, capsys
):
    toml = str(config(tmp_path, database_url))
    code = cli(
        ["--config", toml, "knowledge", "import", str(knowledge_dir), "--store", "northwind"]
    )
    out, err = capsys.readouterr()

    assert code == 1  # some entries were skipped
    assert "100% reading 6/6 files" in err  # not a terminal: a line per tenth, no bar
    for problem in [
        f"{knowledge_dir / 'broken.md'}:1: front matter is not valid YAML",
        f"{knowledge_dir / 'bad-date.md'}:1: valid_until: not an ISO date or time",
        f"{knowledge_dir / 'faq.csv'}:3: needs a body (or answer)",
        f"{knowledge_dir / 'faq.csv'}:5: variables: must be a JSON object",
        f"{knowledge_dir / 'items.json'}:4: item 2: must be an object",
        f"{knowledge_dir / 'items.json'}:5: needs a title (or question)",
        f"{knowledge_dir / 'items.json'}:6: unknown store 'nowhere'",
    ]:
        assert f"skipped {problem}" in err
    assert "6 files: 5 new versions, 0 unchanged, 7 skipped" in out

    found = active(database_url)
    returns = found["northwind/returns"]
    # The file's own scope wins over --store; an empty field means "all stores".
    assert (returns.store_id, returns.brand, returns.language) == (None, "Northwind", "en")
    assert returns.title == "Return policy" and returns.author == "sam"
    assert returns.qa[0].answer == "Shipping is refunded when the item is faulty."
    assert dict(returns.variables) == {"days": "30"}
    assert returns.valid_from is not None and returns.valid_from.year == 2026
    care = found["northwind/policies/care"]
    assert (care.store_id, care.title) == ("northwind", "Product care")
    assert found["dragon/warranty"].store_id == "dragon"
    shipping = next(a for a in found.values() if a.title == "How long does shipping take?")
    assert shipping.store_id == "northwind" and shipping.status == Status.ACTIVE

    code = cli(
        ["--config", toml, "knowledge", "import", str(knowledge_dir), "--store", "northwind"]
    )
    out, _ = capsys.readouterr()
    assert "0 new versions, 5 unchanged, 7 skipped, 0 chunks embedded" in out


@pytest.mark.parametrize("kind", ["md", "csv", "json"])
def test_export_then_import_changes_nothing(tmp_path, knowledge_dir, kind, capsys):
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
    toml = str(config(tmp_path, database_url))
    for name in ("broken.md", "bad-date.md"):
        (knowledge_dir / name).unlink()
    cli(["--config", toml, "knowledge", "import", str(knowledge_dir), "--store", "northwind"])
    before = active(database_url)
    target = tmp_path / ("out" if kind == "md" else f"out.{kind}")
    # Q&A pairs need md or json: the CSV export takes the store's plain FAQs.
    args = ["--store", "northwind"] if kind == "csv" else []
    capsys.readouterr()

    assert cli(["--config", toml, "knowledge", "export", str(target), *args]) == 0
    assert cli(["--config", toml, "knowledge", "import", str(target)]) == 0
    out, err = capsys.readouterr()

    exported = [a for a in before.values() if not args or a.store_id == "northwind"]
    assert f"0 new versions, {len(exported)} unchanged, 0 skipped" in out, err
    assert active(database_url) == before
    if kind == "json":
        items = json.loads(target.read_text(encoding="utf-8"))["articles"]
        assert {i["id"] for i in items} == set(before)


def test_a_broken_json_file_keeps_the_items_before_the_break(tmp_path, capsys):
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
    toml = str(config(tmp_path, database_url))
    broken = tmp_path / "broken.json"
    broken.write_text(
        '[\n {"title": "One", "body": "First."},\n {"title": "Two", "body": \n', encoding="utf-8"
    )

    code = cli(["--config", toml, "knowledge", "import", str(broken), "--store", "dragon"])
    _, err = capsys.readouterr()

    assert code == 1
    assert f"skipped {broken}:3: not valid JSON" in err
    assert [a.title for a in active(database_url).values()] == ["One"]
