"""Products of a store's catalogue and the recommendations drawn from them: values, no I/O."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Variant:
    """One buyable version of a product; `size` and `colour` are "" when a product has none."""

    id: str
    sku: str = ""
    size: str = ""
    colour: str = ""
    price: str = ""  # a decimal as text, so "39.90" never becomes 39.899999
    currency: str = ""
    stock: int = 0

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    def label(self) -> str:
        return ", ".join(part for part in (self.size, self.colour) if part)


@dataclass(frozen=True)
class Product:
    store_id: str
    id: str
    title: str
    description: str = ""
    url: str = ""
    image: str = ""
    tags: tuple[str, ...] = ()
    variants: tuple[Variant, ...] = ()

    def in_stock_variants(self) -> list[Variant]:
        return [v for v in self.variants if v.in_stock]

    def search_text(self) -> str:
        """What the index embeds and tokenizes: words a buyer would use for this product."""
        sizes = sorted({v.size for v in self.variants if v.size})
        colours = sorted({v.colour for v in self.variants if v.colour})
        return "\n".join(
            part
            for part in (
                self.title,
                self.description,
                " ".join(self.tags),
                " ".join(colours),
                " ".join(sizes),
            )
            if part
        )

    def content_hash(self) -> str:
        """Equal for equal content: a re-import of an unchanged product changes nothing."""
        data = json.dumps(product_dict(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(data.encode()).hexdigest()


def product_dict(product: Product) -> dict[str, object]:
    data = asdict(product)
    data["tags"] = list(product.tags)
    data["variants"] = [asdict(v) for v in product.variants]
    return data


def product_from_dict(data: dict[str, object]) -> Product:
    variants = data.get("variants") or []
    assert isinstance(variants, list)
    tags = data.get("tags") or []
    assert isinstance(tags, list)
    return Product(
        store_id=str(data["store_id"]),
        id=str(data["id"]),
        title=str(data.get("title", "")),
        description=str(data.get("description", "")),
        url=str(data.get("url", "")),
        image=str(data.get("image", "")),
        tags=tuple(str(t) for t in tags),
        variants=tuple(
            Variant(
                id=str(v["id"]),
                sku=str(v.get("sku", "")),
                size=str(v.get("size", "")),
                colour=str(v.get("colour", "")),
                price=str(v.get("price", "")),
                currency=str(v.get("currency", "")),
                stock=int(v.get("stock", 0)),
            )
            for v in variants
        ),
    )


def valid_price(text: str) -> bool:
    try:
        return Decimal(text) >= 0
    except ArithmeticError:
        return False


@dataclass(frozen=True)
class ProductHit:
    """A product the search found for a message, with how close it is (cosine, 0-1)."""

    product: Product
    score: float


@dataclass(frozen=True)
class Recommendation:
    """One item a draft proposes: the variant to buy, the tagged link, and why it was chosen."""

    store_id: str
    product_id: str
    variant_id: str
    title: str
    variant: str  # "M, black"; "" for a product without options
    price: str
    currency: str
    url: str  # carries the tracking tag
    reason: str
    sister_store: bool = False


@dataclass(frozen=True)
class RecommendationSet:
    """What the recommender proposes for one message, and what it looked at (for evidence)."""

    tag: str
    need: str  # "product", "size", "colour", "restock", "alternative"; "" when none
    items: tuple[Recommendation, ...] = ()
    considered: tuple[dict[str, object], ...] = field(default_factory=tuple)


@dataclass(eq=False)
class RecommendationRecord:
    """A draft's shopping question and what it recommended, kept to attribute orders later.

    One row per drafted message with a shopping need, even with no items, so the funnel can
    count questions asked as well as questions answered with products.
    """

    tag: str
    draft_id: str
    store_id: str
    conversation_id: str
    need: str
    items: list[dict[str, str]]
    created_at: datetime
