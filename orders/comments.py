"""The order's Comment tab: comments the merchant adds, and Koongo's own (label links and their revocation)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from orders.models import LabelLink, Order, OrderComment

KOONGO = "Koongo"
BODY_LIMIT = 5000


@transaction.atomic
def comment_add(*, merchant, order: Order, author: str, body: str, label_link: LabelLink | None = None) -> OrderComment:
    """Add a comment to the order; a merchant's comment needs text, Koongo's may just carry a label link."""
    body = (body or "").strip()
    if not body and label_link is None:
        raise ValidationError({"body": "Write a comment."})
    if len(body) > BODY_LIMIT:
        raise ValidationError({"body": f"Keep comments under {BODY_LIMIT} characters."})
    return OrderComment.objects.create(merchant=merchant, order=order, author=author[:200], body=body, label_link=label_link)
