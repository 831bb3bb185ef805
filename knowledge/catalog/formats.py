"""Catalogue files in and out: CSV (one row per variant, grouped by product id) and JSON.

A bad row never stops an import: it is reported with file, line and reason, and the rest
of the file still comes through. A product whose rows all failed is left out whole, so a
half-read product never replaces a good one.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.domain.catalog import Product, Variant, product_dict, valid_price
from knowledge.formats import Problem, _item_lines

PRODUCT_COLUMNS = ("product_id", "title", "description", "url", "image", "tags")
VARIANT_COLUMNS = ("variant_id", "sku", "size", "colour", "price", "currency", "stock")
_ALIASES = {"color": "colour", "id": "product_id", "quantity": "stock", "inventory": "stock"}
Progress = Callable[[int, int], None]


@dataclass
class CatalogRead:
    products: list[Product] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class RowError(ValueError):
    pass


def read_catalog(
    path: Path, store_id: str, progress: Progress | None = None, default_currency: str = ""
) -> CatalogRead:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as problem:
        return CatalogRead(problems=[Problem(name, 0, f"cannot be read: {problem}")])
    if path.suffix.lower() == ".json":
        return _read_json(text, name, store_id, progress, default_currency)
    return _read_csv(text, name, store_id, progress, default_currency)


def _read_csv(
    text: str, name: str, store_id: str, progress: Progress | None, currency: str
) -> CatalogRead:
    result = CatalogRead()
    reader = csv.DictReader(io.StringIO(text))
    header = [_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in reader.fieldnames or []]
    unknown = set(header) - set(PRODUCT_COLUMNS) - set(VARIANT_COLUMNS)
    if "product_id" not in header or "title" not in header or unknown:
        reason = f"unknown columns {sorted(unknown)}" if unknown else "needs product_id and title"
        result.problems.append(Problem(name, 1, f"CSV header {reason}"))
        return result
    reader.fieldnames = header
    total = max(text.count("\n"), 1)
    grouped: dict[str, tuple[dict[str, str], list[Variant]]] = {}
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as problem:
            result.problems.append(Problem(name, reader.line_num, f"malformed CSV: {problem}"))
            break
        start, line = line + 1, reader.line_num
        try:
            if None in row:
                raise RowError("more cells than header columns")
            cells = {k: (v or "").strip() for k, v in row.items()}
            product_id = cells.get("product_id", "")
            if not product_id:
                raise RowError("product_id is empty")
            known = grouped.get(product_id)
            if known is None and not cells.get("title"):
                raise RowError(f"product {product_id}: title is empty")
            variant = _variant(cells, product_id, len(known[1]) if known else 0, currency)
        except RowError as refused:
            result.problems.append(Problem(name, start, str(refused)))
        else:
            if known is None:
                grouped[product_id] = (cells, [variant])
            else:
                known[1].append(variant)
        if progress is not None and start % 200 == 0:
            progress(min(line, total), total)
    for product_id, (first, variants) in grouped.items():
        tags = tuple(
            t.strip() for t in first.get("tags", "").replace(";", ",").split(",") if t.strip()
        )
        result.products.append(
            Product(
                store_id=store_id,
                id=product_id,
                title=first["title"],
                description=first.get("description", ""),
                url=first.get("url", ""),
                image=first.get("image", ""),
                tags=tags,
                variants=tuple(variants),
            )
        )
    if progress is not None:
        progress(total, total)
    return result


def _variant(cells: Mapping[str, Any], product_id: str, ordinal: int, currency: str) -> Variant:
    price = str(cells.get("price") or "").strip()
    if price and not valid_price(price):
        raise RowError(f"price {price!r} is not a number")
    raw_stock = cells.get("stock")
    try:
        stock = int(str(raw_stock).strip() or 0) if raw_stock is not None else 0
    except ValueError:
        raise RowError(f"stock {raw_stock!r} is not a whole number") from None
    if stock < 0:
        stock = 0  # oversold shows as negative in some exports: nothing to sell
    return Variant(
        id=str(cells.get("variant_id") or cells.get("id") or f"{product_id}-{ordinal + 1}"),
        sku=str(cells.get("sku") or ""),
        size=str(cells.get("size") or ""),
        colour=str(cells.get("colour") or cells.get("color") or ""),
        price=price,
        currency=str(cells.get("currency") or currency).upper(),
        stock=stock,
    )


def _read_json(
    text: str, name: str, store_id: str, progress: Progress | None, currency: str
) -> CatalogRead:
    result = CatalogRead()
    try:
        whole = json.loads(text)
    except ValueError as problem:
        line = getattr(problem, "lineno", 1)
        result.problems.append(Problem(name, line, f"not valid JSON: {problem}"))
        return result
    items = whole.get("products") if isinstance(whole, dict) else whole
    if not isinstance(items, list):
        result.problems.append(Problem(name, 1, 'JSON must be a list or {"products": [...]}'))
        return result
    starts = _item_lines(text, json.JSONDecoder())
    for index, item in enumerate(items):
        line = starts[index] if index < len(starts) else 1
        try:
            result.products.append(_json_product(item, store_id, currency))
        except RowError as refused:
            result.problems.append(Problem(name, line, f"product {index + 1}: {refused}"))
        if progress is not None and (index + 1) % 200 == 0:
            progress(index + 1, len(items))
    if progress is not None:
        progress(len(items), len(items))
    return result


def _json_product(item: Any, store_id: str, currency: str) -> Product:
    if not isinstance(item, dict):
        raise RowError("must be an object")
    product_id = str(item.get("id") or item.get("product_id") or "").strip()
    title = str(item.get("title") or "").strip()
    if not product_id or not title:
        raise RowError("needs id and title")
    raw_variants = item.get("variants") or [{}]
    if not isinstance(raw_variants, list) or not all(isinstance(v, dict) for v in raw_variants):
        raise RowError("variants must be a list of objects")
    tags = item.get("tags") or []
    if isinstance(tags, str):
        tags = tags.split(",")
    return Product(
        store_id=store_id,
        id=product_id,
        title=title,
        description=str(item.get("description") or ""),
        url=str(item.get("url") or ""),
        image=str(item.get("image") or ""),
        tags=tuple(str(t).strip() for t in tags if str(t).strip()),
        variants=tuple(_variant(v, product_id, n, currency) for n, v in enumerate(raw_variants)),
    )


def write_catalog(products: list[Product], path: Path) -> None:
    """CSV or JSON by suffix; everything the importer reads, so a round trip is a no-op."""
    if path.suffix.lower() == ".json":
        data = [{k: v for k, v in product_dict(p).items() if k != "store_id"} for p in products]
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*PRODUCT_COLUMNS, *VARIANT_COLUMNS])
        for p in products:
            for v in p.variants:
                writer.writerow(
                    [p.id, p.title, p.description, p.url, p.image, ",".join(p.tags),
                     v.id, v.sku, v.size, v.colour, v.price, v.currency, v.stock]
                )  # fmt: skip
