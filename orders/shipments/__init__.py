"""Shipments and labels: a subpackage of the orders app, so its models keep the `orders` label and tables."""
