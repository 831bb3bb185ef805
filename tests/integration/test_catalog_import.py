"""`storedesk catalog import|export`: broken rows are named and skipped, re-imports change
nothing, and an export imports back as a no-op."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from main import cli

CONFIG = """
[storage]
database_url = "sqlite+aiosqlite:///{data}/storedesk.db"
data_dir = "{data}"

[[stores]]
id = "northwind"
name = "Northwind Apparel"
brand = "Northwind"
languages = ["en"]
"""

CSV = """product_id,title,description,url,tags,variant_id,size,colour,price,currency,stock
trail,Trail Runner,Shoes for mountain paths,https://nw.example/p/trail,shoes;running,t-s,S,black,89.00,EUR,3
trail,,,,,t-m,M,black,89.00,EUR,0
,Orphan row,,,,o-1,M,red,10,EUR,1
rain,Rain Jacket,Keeps you dry,https://nw.example/p/rain,jackets,r-m,M,navy,ninety,EUR,2
rain,Rain Jacket,Keeps you dry,https://nw.example/p/rain,jackets,r-l,L,navy,120.00,EUR,many
rain,Rain Jacket,Keeps you dry,https://nw.example/p/rain,jackets,r-xl,XL,navy,120.00,EUR,4
scarf,Silk Scarf,Printed silk,https://nw.example/p/scarf,accessories,sc-1,,red,45.00,EUR,7
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "storedesk.toml"
    path.write_text(CONFIG.format(data=tmp_path / "data"))
    return path


def _run(config: Path, *args: str) -> int:
    return cli(["--config", str(config), "catalog", *args])


def test_broken_rows_are_named_and_the_rest_imports_then_reimport_is_a_no_op(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "products.csv"
    source.write_text(CSV)
    assert _run(config, "import", str(source), "--store", "northwind") == 1
    out, err = capsys.readouterr()
    assert f"skipped {source}:4: product_id is empty" in err
    assert f"skipped {source}:5: price 'ninety' is not a number" in err
    assert f"skipped {source}:6: stock 'many' is not a whole number" in err
    assert "indexing  [" in err and "3/3 products" in err  # the progress bar reached the end
    assert "3 products: 3 new or changed, 0 unchanged, 3 rows skipped" in out

    assert _run(config, "import", str(source), "--store", "northwind") == 1
    out, _ = capsys.readouterr()
    assert "3 products: 0 new or changed, 3 unchanged, 3 rows skipped" in out

    exported = tmp_path / "export.json"
    assert _run(config, "export", str(exported), "--store", "northwind") == 0
    products = {p["id"]: p for p in json.loads(exported.read_text())}
    assert [v["id"] for v in products["trail"]["variants"]] == ["t-s", "t-m"]
    assert [v["id"] for v in products["rain"]["variants"]] == ["r-xl"]
    assert products["trail"]["tags"] == ["shoes", "running"]
    assert products["scarf"]["variants"][0] == {
        "id": "sc-1", "sku": "", "size": "", "colour": "red", "price": "45.00",
        "currency": "EUR", "stock": 7,
    }  # fmt: skip
    capsys.readouterr()
    assert _run(config, "import", str(exported), "--store", "northwind") == 0
    out, _ = capsys.readouterr()
    assert "3 products: 0 new or changed, 3 unchanged, 0 rows skipped" in out

    as_csv = tmp_path / "export.csv"
    assert _run(config, "export", str(as_csv)) == 0
    assert _run(config, "import", str(as_csv), "--store", "northwind") == 0
    out, _ = capsys.readouterr()
    assert "0 new or changed, 3 unchanged" in out


def test_broken_json_items_are_named_by_line(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "products.json"
    source.write_text(
        '[\n  {"id": "a", "title": "Cap", "variants": [{"id": "a1", "stock": 2}]},\n'
        '  {"id": "b"},\n'
        '  {"id": "c", "title": "Bag", "variants": [{"id": "c1", "price": "x"}]}\n]\n'
    )
    assert _run(config, "import", str(source), "--store", "northwind") == 1
    out, err = capsys.readouterr()
    assert f"skipped {source}:3: product 2: needs id and title" in err
    assert f"skipped {source}:4: product 3: price 'x' is not a number" in err
    assert "1 products: 1 new or changed" in out
    assert _run(config, "import", str(source), "--store", "nowhere") == 2
