"""Template tags for RMA: the order page's RMA and Refunds tabs (the orders view knows nothing of RMAs), and a lookup."""

from django import template

from rma import selectors
from rma.forms import RmaRequestForm

register = template.Library()


@register.inclusion_tag("rma/_order_tab_body.html", takes_context=True)
def rma_order_tab(context):
    """The tab's context, read for the merchant in the request: the order's RMAs, refunds, requests and their calls."""
    request = context["request"]
    order = context.get("order")
    data = selectors.order_tab(request.merchant, order)
    if order is not None:
        data.update(
            **selectors.connection_scopes(order.connection),
            request_form=RmaRequestForm(order=order),
            rma_problems_by_id=data.pop("rma_problems"),
        )
    return {
        **data,
        "tab": context.get("tab"),
        "request": request,
        "membership": context.get("membership"),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def problems_for(by_id: dict, pk) -> list:
    """The open problems filed under one subject id, from a {subject id: [problems]} map."""
    return (by_id or {}).get(str(pk), [])
