"""BigCommerce: the REST Management and Catalog APIs (v2 orders, v3 catalog, inventory and payment actions)."""
