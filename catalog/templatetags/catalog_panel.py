"""`{% catalog_panel connection as catalog %}`: what the connection page shows of the catalog, feed and stock."""

from django import template

from catalog import selectors
from catalog.feed_access import feed_url
from catalog.forms import StockSettingsForm
from catalog.models import CatalogSettings

register = template.Library()


@register.simple_tag
def catalog_panel(connection) -> dict:
    """Counts, the feed's URL and state, the latest catalog and stock runs and the stock settings form; five queries."""
    catalog_settings = selectors.catalog_settings_of(connection)
    store = connection.store_connection
    counts = selectors.listing_counts_of(connection)
    return {
        "settings": catalog_settings,
        "feed_url": feed_url(catalog_settings) if catalog_settings else "",
        "store": store,
        "prices_in_feed": store is not None and store.currency == connection.currency,
        "products": selectors.product_counts_of(store),
        **counts,
        "runs": selectors.latest_runs(connection),
        "form": StockSettingsForm(instance=catalog_settings or CatalogSettings()),
    }
