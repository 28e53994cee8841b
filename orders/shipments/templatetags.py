"""Context for the order page's Shipments and Comment tabs, built here so the tabs need nothing from the page's view."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from connections import remote_choices
from connections.models import SyncLevel
from orders.shipments import selectors
from orders.shipments.carrier_mapping import Provider
from orders.shipments.forms import CommentForm, MarkShippedForm
from orders.shipments.labels import label_url

register = template.Library()


@register.simple_tag(takes_context=True)
def shipments_tab(context, order) -> dict:
    """The order's shipments and, for a Stock only order with unsent positions, the Mark as shipped form."""
    request = context["request"]
    if order is None:
        return {}
    shipments = list(selectors.shipments(request.merchant, order))
    stock_only = order.connection.order_configuration.sync_level == SyncLevel.STOCK_ONLY
    sent = {pid for s in shipments if s.status in ("queued", "sent") for pid in s.position_ids}
    unsent = [line for line in order.lines.all() if line.miinto_position_id not in sent]
    form, providers_error = None, ""
    membership = getattr(request, "membership", None)
    if stock_only and unsent and membership is not None and membership.can_write:
        # From the market's cached list: rendering the tab never waits on Miinto (the POST checks the order's own list).
        cached = remote_choices.market_providers(order.connection)
        if cached.items is None:
            providers_error = _("Miinto's shipping providers are being fetched; reload the page in a few seconds.")
        else:
            providers = [Provider(provider_id, name) for provider_id, name in cached.items]
            choices = [
                (line.miinto_position_id, f"{line.miinto_position_id} · {line.title or line.sku} × {line.quantity}")
                for line in unsent
            ]
            form = MarkShippedForm(providers=providers, positions=choices)
    return {"shipments": shipments, "stock_only": stock_only, "form": form, "providers_error": providers_error}


@register.simple_tag(takes_context=True)
def comments_tab(context, order) -> dict:
    """The order's comments, each label link with its URL (or marked revoked), and the form to add a comment."""
    request = context["request"]
    if order is None:
        return {}
    comments = list(selectors.comments(request.merchant, order))
    for comment in comments:
        link = comment.label_link
        comment.link_url = label_url(link) if link is not None and not link.is_revoked else ""
    return {"comments": comments, "form": CommentForm()}
