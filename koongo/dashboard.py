"""Overview panels that apps register, so the overview page shows every app without koongo importing them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OverviewPanel:
    """A template fragment on the overview page and the function that builds its context for a merchant."""

    name: str
    template: str
    context: Callable[[object], dict]
    order: int = 100


_panels: dict[str, OverviewPanel] = {}


def register_overview_panel(panel: OverviewPanel) -> None:
    _panels[panel.name] = panel


def overview_panels(merchant) -> list[tuple[OverviewPanel, dict]]:
    return [(panel, panel.context(merchant)) for panel in sorted(_panels.values(), key=lambda p: p.order)]


@dataclass(frozen=True)
class NavItem:
    """A menu entry; its label is a lazy translation (`gettext_lazy`), rendered in each reader's language."""

    label: str
    url_name: str
    order: int = 100


_nav: dict[str, NavItem] = {}


def register_nav_item(item: NavItem) -> None:
    _nav[item.url_name] = item


def nav_context(request):
    """Template context with the registered navigation entries, for signed-in merchants only."""
    from django.urls import reverse

    if getattr(request, "merchant", None) is None:
        return {}
    items = sorted(_nav.values(), key=lambda i: i.order)
    return {"nav_items": [{"label": i.label, "url": reverse(i.url_name)} for i in items]}
