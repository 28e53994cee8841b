"""Shopware 5 through its REST API (`/api`, Digest or Basic auth, `{success, data}` envelopes; store-platforms.md §5, §7)."""
