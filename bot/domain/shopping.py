"""Does a message ask for something to buy, and which in-stock variant answers it, and why.

Pure rules over triage's intent and the text: the intent classifier knows "product_question"
and "size_fit"; restocks and alternatives are asked in words the shop set does not separate
from product questions, so they are read from the text here (English and Chinese).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.domain.catalog import Product, Recommendation, Variant

PRODUCT_INTENTS = frozenset({"product_question", "size_fit"})
# Questions about an order already placed: "out of stock" there is a complaint, not a lead.
AFTER_SALE_INTENTS = frozenset(
    {"order_status", "shipping", "refund", "cancel", "payment", "warranty", "complaint"}
)

_RESTOCK = re.compile(
    r"restock|back in stock|out of stock|sold out|in stock again|available again|"
    r"补货|缺货|到货|售罄|卖完|没货|断货|还有货",
    re.IGNORECASE,
)
_ALTERNATIVE = re.compile(
    r"alternative|similar|something like|instead|another (?:one|model)|other options?|"
    r"recommend|suggest|类似|替代|别的款|其他款|换一款|推荐|差不多的",
    re.IGNORECASE,
)
_SIZE = re.compile(
    r"(?:\bsize\s*|\bin (?:a |an )?|尺码\s*|穿\s*)([2-5]?X{0,3}[SML]|XXS|\d{2}(?:\.5)?)\b"
    r"|(?<![A-Za-z])(XXS|XS|XXL|XXXL|XL)(?![A-Za-z])|([2-5]?X{0,3}[SML]|\d{2})\s*(?:码|号)",
    re.IGNORECASE,
)
# Canonical colour → the words buyers and catalogues use for it.
COLOURS: dict[str, tuple[str, ...]] = {
    "black": ("black", "黑色", "黑"),
    "white": ("white", "白色", "白"),
    "red": ("red", "红色", "红"),
    "blue": ("blue", "蓝色", "蓝"),
    "navy": ("navy", "藏青", "藏蓝", "深蓝"),
    "green": ("green", "绿色", "绿"),
    "yellow": ("yellow", "黄色", "黄"),
    "pink": ("pink", "粉色", "粉红"),
    "grey": ("grey", "gray", "灰色", "灰"),
    "beige": ("beige", "米色", "卡其"),
    "brown": ("brown", "棕色", "咖啡色"),
    "purple": ("purple", "紫色", "紫"),
    "orange": ("orange", "橙色", "橘色"),
}


@dataclass(frozen=True)
class ShoppingNeed:
    kind: str  # "product" | "size" | "colour" | "restock" | "alternative"
    size: str = ""
    colour: str = ""  # canonical colour name


def canonical_colour(text: str) -> str:
    """The canonical colour a catalogue value or phrase names first; "" when none.

    The earliest mention wins, and at one position the longest word, so "深蓝色" is navy
    (深蓝) rather than blue (蓝色)."""
    lowered = text.lower()
    found: list[tuple[int, int, str]] = []
    for name, words in COLOURS.items():
        for word in words:
            if word.isascii():
                match = re.search(rf"\b{word}\b", lowered)
                position = match.start() if match else -1
            else:
                position = text.find(word)
            if position >= 0:
                found.append((position, -len(word), name))
    return min(found)[2] if found else ""


def requested_size(text: str) -> str:
    match = _SIZE.search(text)
    if match is None:
        return ""
    return next(group for group in match.groups() if group).upper()


def shopping_need(intent: str, text: str) -> ShoppingNeed | None:
    """What kind of buying question this is; None when the message is about something else."""
    if intent in AFTER_SALE_INTENTS or intent == "talk_to_human":
        return None
    size, colour = requested_size(text), canonical_colour(text)
    if _RESTOCK.search(text):
        kind = "restock"
    elif _ALTERNATIVE.search(text):
        kind = "alternative"
    elif intent in PRODUCT_INTENTS:
        kind = "size" if size or intent == "size_fit" else "colour" if colour else "product"
    else:
        return None
    return ShoppingNeed(kind, size=size, colour=colour)


def fitting_variants(product: Product, need: ShoppingNeed) -> list[Variant]:
    """In-stock variants with the size and colour asked for, most stock first."""
    fitting = [
        v
        for v in product.in_stock_variants()
        if (not need.size or v.size.upper() == need.size)
        and (not need.colour or canonical_colour(v.colour) == need.colour)
    ]
    return sorted(fitting, key=lambda v: -v.stock)


def reason_for(
    product: Product,
    variant: Variant,
    need: ShoppingNeed,
    *,
    asked: Product | None,
    sister_store_name: str = "",
) -> str:
    """Why a person reviewing the draft sees this item, in a few words."""
    if asked is not None and asked.id == product.id and asked.store_id == product.store_id:
        parts = ["same model"]
    elif asked is not None and not fitting_variants(asked, need):
        parts = [f"alternative to {asked.title}, which is not in stock as asked"]
    else:
        parts = ["similar item" if need.kind == "alternative" else "matches the question"]
    wanted = " ".join(p for p in (f"size {variant.size}" if need.size else "", need.colour) if p)
    parts.append(f"{wanted} in stock" if wanted else f"in stock ({variant.stock})")
    if sister_store_name:
        parts.append(f"from sister store {sister_store_name}")
    return ", ".join(parts)


def render_recommendations(items: Sequence[Recommendation], language: str) -> str:
    """The block a draft carries: one line per item with its tagged link."""
    if not items:
        return ""
    heading = "这些商品现在有货：" if language.startswith("zh") else "These items are in stock now:"
    lines = [heading]
    for item in items:
        price = " ".join(p for p in (item.price, item.currency) if p)
        details = " · ".join(p for p in (item.variant, price) if p)
        link = f": {item.url}" if item.url else ""
        lines.append(f"- {item.title}" + (f" ({details})" if details else "") + link)
    return "\n".join(lines)


def tagged_url(url: str, param: str, tag: str) -> str:
    """The product link with the tracking tag added, keeping any query it already has."""
    if not url:
        return ""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != param]
    return urlunsplit(parts._replace(query=urlencode([*query, (param, tag)])))


def tag_in_url(url: str, param: str) -> str:
    """The tracking tag a landing URL carries; "" when none."""
    query = urlsplit(url.strip()).query if "?" in url else ""
    return next((v for k, v in parse_qsl(query) if k == param), "")
