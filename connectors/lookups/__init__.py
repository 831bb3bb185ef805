"""Read-only back-office lookups: Shopify Admin API, any HTTP JSON API, a CSV file."""
