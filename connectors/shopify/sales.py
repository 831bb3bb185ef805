"""Shopify payloads for sales assist: products into the catalogue, orders into attribution.

A product's options are positional (`option1..3` on each variant, named by `options`), so
"Size" and "Color"/"Colour" are found by name in any position and language-neutral case.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.domain.attribution import OrderPlaced
from bot.domain.catalog import Product, Variant
from bot.domain.shopping import tag_in_url
from bot.ports import Clock
from bot.services.attribution import Attributor
from connectors.email.html_text import html_to_text
from knowledge.catalog.service import Catalogue

_SIZE_NAMES = {"size", "尺码", "尺寸", "größe", "taille", "talla"}
_COLOUR_NAMES = {"color", "colour", "颜色", "farbe", "couleur"}
PRODUCT_TOPICS = ("products/create", "products/update")
# Shopify's order topics that mean "an order was placed"; updates come for the same id.
ORDER_TOPICS = ("orders/create", "orders/paid")


def product_from_shopify(
    store_id: str, payload: Mapping[str, Any], shop_domain: str, currency: str
) -> Product:
    """Raises KeyError/TypeError/ValueError on a payload that is not a product."""
    product_id = str(payload["id"])
    positions: dict[str, int] = {}
    for option in payload.get("options") or []:
        name = str(option.get("name", "")).strip().lower()
        kind = "size" if name in _SIZE_NAMES else "colour" if name in _COLOUR_NAMES else ""
        if kind and option.get("position"):
            positions[kind] = int(option["position"])
    variants = []
    for variant in payload.get("variants") or []:
        variants.append(
            Variant(
                id=str(variant["id"]),
                sku=str(variant.get("sku") or ""),
                size=str(variant.get(f"option{positions['size']}") or "")
                if "size" in positions
                else "",
                colour=str(variant.get(f"option{positions['colour']}") or "")
                if "colour" in positions
                else "",
                price=str(variant.get("price") or ""),
                currency=currency,
                stock=max(int(variant.get("inventory_quantity") or 0), 0),
            )
        )
    tags = payload.get("tags") or ""
    image = payload.get("image") or {}
    handle = str(payload.get("handle") or "")
    return Product(
        store_id=store_id,
        id=product_id,
        title=str(payload["title"]),
        description=html_to_text(str(payload.get("body_html") or "")),
        url=f"https://{shop_domain}/products/{handle}" if shop_domain and handle else "",
        image=str(image.get("src") or "") if isinstance(image, dict) else "",
        tags=tuple(t.strip() for t in str(tags).split(",") if t.strip()),
        variants=tuple(variants),
    )


def order_from_shopify(
    store_id: str, payload: Mapping[str, Any], tracking_param: str, now: datetime
) -> OrderPlaced:
    """The order, its customer's contacts, and any tracking tag its landing page carried."""
    customer = payload.get("customer") or {}
    address = payload.get("billing_address") or payload.get("shipping_address") or {}
    tags = [
        tag_in_url(str(payload.get(key) or ""), tracking_param)
        for key in ("landing_site", "referring_site")
    ]
    for attribute in payload.get("note_attributes") or []:
        if isinstance(attribute, dict) and attribute.get("name") == tracking_param:
            tags.append(str(attribute.get("value") or ""))
    return OrderPlaced(
        store_id=store_id,
        order_id=str(payload["id"]),
        placed_at=parse_time(payload.get("created_at"), now),
        amount=str(payload.get("total_price") or "0"),
        currency=str(payload.get("currency") or ""),
        email=str(payload.get("email") or customer.get("email") or ""),
        phone=str(payload.get("phone") or customer.get("phone") or address.get("phone") or ""),
        tags=tuple(t for t in tags if t),
    )


def parse_time(value: object, default: datetime) -> datetime:
    if not isinstance(value, str):
        return default
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return default
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


class ShopifySalesEvents:
    """Product webhooks keep the catalogue fresh; order webhooks go to attribution."""

    def __init__(
        self,
        catalogue: Catalogue,
        attributor: Attributor,
        tracking_param: str,
        currencies: Mapping[str, str],
        clock: Clock,
    ) -> None:
        self._catalogue = catalogue
        self._attributor = attributor
        self._param = tracking_param
        self._currencies = currencies
        self._clock = clock

    async def __call__(
        self, store_id: str, topic: str, payload: dict[str, Any], shop_domain: str
    ) -> str | None:
        if topic in PRODUCT_TOPICS:
            currency = self._currencies.get(store_id, "")
            product = product_from_shopify(store_id, payload, shop_domain, currency)
            report = await self._catalogue.save([product])
            return "product updated" if report.changed else "product unchanged"
        if topic == "products/delete":
            removed = await self._catalogue.remove(store_id, str(payload["id"]))
            return "product removed" if removed else "product unknown"
        if topic in ORDER_TOPICS:
            order = order_from_shopify(store_id, payload, self._param, self._clock.now())
            return (await self._attributor.attribute(order)).status
        return None
