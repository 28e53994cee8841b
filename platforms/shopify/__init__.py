"""Shopify through the GraphQL Admin API at a pinned version: OAuth install, webhooks, adapter and simulator."""
