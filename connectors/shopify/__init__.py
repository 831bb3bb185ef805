"""Shopify: the Admin API as a read-only order lookup, and signed webhooks that teach us orders."""
