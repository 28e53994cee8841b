"""Dashboard views for orders: the list, the order page with its tabs, manual decisions, and needs attention."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext_lazy
from django.views.decorators.http import require_POST

from connections.models import SyncLevel
from connections.selectors import miinto_connections
from koongo.accounts.decorators import merchant_required, write_required
from orders import selectors
from orders.decisions import positions_decide
from orders.models import PositionStatus
from orders.push_state import still_moving, transfer_push_lines
from orders.stock_status import stock_only_status_for

PAGE_SIZE = 50
# One whole sentence per outcome, so each language words it its own way.
DECIDED_MESSAGES = {
    "accept": ngettext_lazy(
        "%(count)s position accepted. Miinto is being told now.", "%(count)s positions accepted. Miinto is being told now.", "count"
    ),
    "decline": ngettext_lazy(
        "%(count)s position declined. Miinto is being told now.", "%(count)s positions declined. Miinto is being told now.", "count"
    ),
}


def actor_name(request) -> str:
    return f"user:{request.user.get_username()}"


@merchant_required
def order_list(request):
    """Keyset pages (newest first), so paging stays cheap and stable while new transfers arrive."""
    found = selectors.transfers_filtered(request.merchant, request.GET, selectors.transfer_list(request.merchant))
    before = request.GET.get("before")
    if before and before.isdigit():
        found = found.filter(pk__lt=int(before))
    page = list(found[: PAGE_SIZE + 1])
    has_more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    params = request.GET.copy()
    params.pop("before", None)
    context = {
        "transfers": page,
        "next_before": page[-1].pk if has_more else None,
        "params": params.urlencode(),
        "connections": miinto_connections(request.merchant),
        "filters": request.GET,
    }
    return render(request, "orders/list.html", context)


@merchant_required
def order_detail(request, pk):
    transfer = selectors.transfer(request.merchant, pk)
    push_lines = transfer_push_lines(transfer)
    context = {
        "transfer": transfer,
        "push_lines": push_lines,
        "moving": still_moving(push_lines),
        "positions": transfer.positions.all(),
        "order": next(iter(transfer.orders.all()), None),
        "activity": selectors.communications(request.merchant, transfer),
        "tab": request.GET.get("tab", "positions"),
    }
    order = context["order"]
    if order is not None and order.connection.order_configuration.sync_level == SyncLevel.STOCK_ONLY:
        context["stock_status"] = stock_only_status_for(order)
    return render(request, "orders/detail.html", context)


@merchant_required
def transfer_pushes(request, pk):
    """The live push panel of the order page (htmx polls it while a push is on its way)."""
    transfer = selectors.transfer(request.merchant, pk)
    push_lines = transfer_push_lines(transfer)
    return render(request, "orders/_pushes.html", {"transfer": transfer, "push_lines": push_lines, "moving": still_moving(push_lines)})


@write_required
@require_POST
def position_action(request, pk, outcome):
    """Accept or decline one position (or, with `all`, every pending position of the transfer)."""
    position = selectors.positions(request.merchant).filter(pk=pk).first()
    if position is None or outcome not in ("accept", "decline"):
        return render(request, "404.html", status=404)
    targets = [position]
    if request.POST.get("all") == "1":
        targets = list(selectors.positions(request.merchant).filter(transfer_id=position.transfer_id, status=PositionStatus.PENDING))
    unmatched = [p for p in targets if p.product_id is None and p.status == PositionStatus.PENDING]
    if outcome == "accept" and unmatched and request.POST.get("confirm_unmatched") != "1":
        # Miinto turns an accepted position into an order at once; one we cannot put in the store needs a deliberate yes.
        context = {"position": position, "unmatched": unmatched, "all": request.POST.get("all", ""), "reason": request.POST.get("reason", ""),
                   "next": request.POST.get("next", "")}
        return render(request, "orders/confirm_unmatched.html", context, status=409)
    try:
        positions_decide(merchant=request.merchant, positions=targets, outcome=outcome, actor=actor_name(request), reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        # The push to Miinto was queued when the decision committed; the page follows its state live.
        messages.success(request, DECIDED_MESSAGES[outcome] % {"count": len(targets)})
    return _back(request, position)


def _back(request, position):
    """Back where the buttons were (needs attention decides in place), else the order page; only our own paths."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("orders:detail", pk=position.transfer_id)


@merchant_required
def needs_attention(request):
    positions = list(selectors.needs_attention(request.merchant)[:500])
    return render(request, "orders/needs_attention.html", {"positions": positions})
