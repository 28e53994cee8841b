"""The order's Comment tab: comments the merchant adds, and Koongo's own (label links and their revocation)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from orders.models import LabelLink, Order, OrderComment

KOONGO = "Koongo"
BODY_LIMIT = 5000


@transaction.atomic
def comment_add(*, merchant, order: Order, author: str, body: str, label_link: LabelLink | None = None) -> OrderComment:
    """Add a comment to the order; a merchant's comment needs text, Koongo's may just carry a label link."""
    body = (body or "").strip()
    if not body and label_link is None:
        raise ValidationError({"body": _("Write a comment.")})
    if len(body) > BODY_LIMIT:
        raise ValidationError({"body": _("Keep comments under %(limit)s characters.") % {"limit": BODY_LIMIT}})
    return OrderComment.objects.create(merchant=merchant, order=order, author=author[:200], body=body, label_link=label_link)
