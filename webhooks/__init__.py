"""Signed outbound webhooks for integrators: endpoints, one emit() for every event, an outbox of deliveries."""
