"""Every dashboard page of the demo merchant, rendered in the pseudo-locale: any visible text outside a translate="no"
element that lacks the ⟦…⟧ markers never went through gettext, and fails the test with the page that shows it."""

import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest

from tests.demo_world import demo_world_seeded
from tests.i18n.pseudo import pseudo_locale, unmarked_texts

PUBLIC_PAGES = ["/login/", "/signup/", "/password-reset/", "/no-such-page/"]
NOT_DASHBOARD = re.compile(r"^/(admin|api|static|media|logout|labels|feeds?)/|\.(csv|pdf|tsv|json)$")
MAX_PAGES = 250


class Links(HTMLParser):
    """The same-site GET links of a page: anchors and htmx fragments."""

    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and "download" not in attributes and attributes.get("href"):
            self.hrefs.append(attributes["href"])
        if attributes.get("hx-get"):
            self.hrefs.append(attributes["hx-get"])


def _kind(url: str) -> str:
    """Pages that differ only by ids, filters or cursors are one kind of page (a tab is a page of its own)."""
    parts = urlsplit(url)
    keys = sorted(f"{key}={value}" if key == "tab" else key for key, value in parse_qsl(parts.query))
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


def crawl(client, headers) -> dict[str, list[str]]:
    """Visit every dashboard page reachable from the overview (one per kind); map each URL to its unmarked texts."""
    found, seen, queue = {}, set(), ["/"]
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if _kind(url) in seen:
            continue
        seen.add(_kind(url))
        response = client.get(url, **headers)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        found[url] = unmarked_texts(html)
        links = Links()
        links.feed(html)
        for href in links.hrefs:
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.netloc or not parts.path.startswith("/") or NOT_DASHBOARD.search(parts.path):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


@pytest.mark.django_db(transaction=True)
def test_every_dashboard_page_shows_only_translated_text_or_data(settings, client):
    with demo_world_seeded(settings) as merchant, pseudo_locale(settings) as headers:
        public = {url: unmarked_texts(client.get(url, **headers).content.decode()) for url in PUBLIC_PAGES}
        client.force_login(merchant.memberships.get().user)
        pages = crawl(client, headers)
    assert len(pages) >= 30, sorted(pages)  # the crawl reached the dashboard, not just a login page
    first_seen = {}  # each offending text once, with the first page that shows it
    for url, texts in {**public, **pages}.items():
        for text in texts:
            first_seen.setdefault(text, url)
    report = "\n".join(f"{url}: {text}" for text, url in first_seen.items())
    assert not first_seen, f"{len(first_seen)} texts are neither translated nor marked translate=\"no\":\n{report}"


def test_the_check_catches_a_string_that_skipped_gettext():
    html = (
        '<p>⟦Orders⟧</p><td translate="no">Blue shirt</td><p>⟦Status⟧: Shipped</p>'
        '<p>⟦Carriers of <span translate="no">Nordic</span> (<a href="/x">DK</a>)⟧</p><input placeholder="Search">'
    )
    assert unmarked_texts(html) == ["': Shipped'", "@placeholder 'Search'"]
