"""The position status badge as a filter: the order list draws one per position, and an included template per badge
was a tenth of that page's CPU."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import pgettext_lazy

register = template.Library()

# The class follows the raw status; the word is translated. Anything but accepted or declined waits for a decision.
BADGES = {
    "accepted": ("text-bg-success", pgettext_lazy("position status", "accepted")),
    "declined": ("text-bg-secondary", pgettext_lazy("position status", "declined")),
}
WAITING = ("text-bg-warning", pgettext_lazy("position status", "pending"))


@register.filter
def position_badge(status: str) -> str:
    css, label = BADGES.get(status, WAITING)
    return format_html('<span class="badge {}">{}</span>', css, label)
