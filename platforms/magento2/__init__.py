"""Magento 2.4 / Adobe Commerce: the REST web API (sales, MSI inventory, catalog), signed with OAuth 1.0a or a bearer token."""
