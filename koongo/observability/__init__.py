"""What operators see: Prometheus metrics, the scrape-time backlog collector, the /metrics view, and log context."""
