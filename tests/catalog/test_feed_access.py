"""The feed URL: fixed and unguessable per connection, behind HTTP Basic Auth with per-connection credentials that are
stored hashed, rotatable, and never open another connection's feed; it streams in chunks with constant queries each."""

import hashlib
from urllib.parse import urlsplit

from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from catalog import feed
from catalog.feed_access import basic_auth_pair, feed_credentials_rotate
from catalog.models import CatalogSettings, PriceExport, ProductListing
from koongo.accounts.tenancy import merchant_scope
from tests.catalog.conftest import SE_SHOP, basic, make_miinto_connection, make_product, make_store, pull


def _nothing_recorded():
    with scopes_disabled():
        assert ProductListing.objects.count() == 0 and PriceExport.objects.count() == 0
        assert not CatalogSettings.objects.filter(feed_served_at__isnull=False).exists()


def test_a_wrong_password_answers_401_and_records_nothing(client, store, connection, credentials):
    make_product(store)
    response = pull(client, credentials, password="guess")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="Miinto product feed", charset="UTF-8"'
    assert b"id\t" not in response.body
    assert client.get(urlsplit(credentials.url).path).status_code == 401
    assert client.get(urlsplit(credentials.url).path, HTTP_AUTHORIZATION="Bearer x").status_code == 401
    assert pull(client, credentials, username="someone").status_code == 401
    _nothing_recorded()


def test_credentials_never_open_another_connections_feed(client, merchant, other_merchant, store, connection, credentials):
    sweden = make_miinto_connection(merchant, store, shop_id=SE_SHOP, market="SE", currency="SEK")
    foreign = make_miinto_connection(other_merchant, make_store(other_merchant), shop_id="1-m!i!s-045-9999")
    with merchant_scope(merchant):
        swedish = feed_credentials_rotate(connection=sweden)
    with merchant_scope(other_merchant):
        theirs = feed_credentials_rotate(connection=foreign)
    make_product(store)
    assert pull(client, credentials, url=swedish.url).status_code == 401
    assert pull(client, swedish, url=credentials.url).status_code == 401
    assert pull(client, theirs, url=credentials.url).status_code == 401
    assert pull(client, credentials, url=theirs.url).status_code == 401
    _nothing_recorded()
    assert len({urlsplit(c.url).path for c in (credentials, swedish, theirs)}) == 3


def test_an_unknown_feed_url_answers_404(client, credentials):
    assert client.get("/feeds/miinto/not-a-token.tsv", HTTP_AUTHORIZATION=basic(credentials.username, credentials.password)).status_code == 404


def test_rotating_stops_the_old_password_and_keeps_the_url(client, merchant, store, connection, credentials):
    with merchant_scope(merchant):
        rotated = feed_credentials_rotate(connection=connection)
    assert rotated.url == credentials.url and rotated.username == credentials.username and rotated.password != credentials.password
    assert pull(client, credentials).status_code == 401
    assert pull(client, rotated).status_code == 200


def test_the_password_is_stored_only_as_its_hash(merchant, connection, credentials):
    with merchant_scope(merchant):
        stored = CatalogSettings.objects.get(connection=connection)
    assert stored.feed_password_hash == hashlib.sha256(credentials.password.encode()).hexdigest()
    with db.cursor() as cursor:
        cursor.execute("SELECT * FROM catalog_catalogsettings WHERE id = %s", [stored.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
    assert credentials.password not in row
    assert len(stored.feed_token) >= 43 and credentials.url.endswith(f"/feeds/miinto/{stored.feed_token}.tsv")


def test_head_checks_the_credentials_without_serving(client, store, connection, credentials):
    make_product(store)
    path = urlsplit(credentials.url).path
    assert client.head(path, HTTP_AUTHORIZATION=basic(credentials.username, credentials.password)).status_code == 200
    assert client.head(path, HTTP_AUTHORIZATION=basic(credentials.username, "wrong")).status_code == 401
    _nothing_recorded()


def test_basic_auth_header_parsing():
    assert basic_auth_pair(basic("u", "p:w")) == ("u", "p:w")
    assert basic_auth_pair("Basic !!!") is None
    assert basic_auth_pair("Basic " + "dXNlcg==") is None  # "user" without a colon


def _first_pull(client, merchant, products: int, shop_id: str):
    store = make_store(merchant, name=f"Store {shop_id}")
    for _ in range(products):
        make_product(store)
    connection = make_miinto_connection(merchant, store, shop_id=shop_id)
    with merchant_scope(merchant):
        credentials = feed_credentials_rotate(connection=connection)
    with CaptureQueriesContext(db) as queries:
        response = client.get(urlsplit(credentials.url).path, HTTP_AUTHORIZATION=basic(credentials.username, credentials.password))
        chunks = list(response.streaming_content)
    return response, chunks, len(queries)


def test_the_feed_streams_in_chunks_with_a_constant_number_of_queries_per_chunk(client, merchant, monkeypatch):
    monkeypatch.setattr(feed, "CHUNK", 10)
    response, chunks, three_chunks = _first_pull(client, merchant, 30, "1-m!i!s-045-5001")
    assert response.streaming and chunks[0].startswith(b"id\titem_group_id") and chunks[0].count(b"\n") == 1
    assert [chunk.count(b"\n") for chunk in chunks[1:]] == [10, 10, 10]
    _, _, six_chunks = _first_pull(client, merchant, 60, "1-m!i!s-045-5002")
    # Every product is new in a first pull; a chunk costs the same few queries (read, prefetch listings, create listings,
    # export prices, freeze keys, and the savepoint around them) whatever its size.
    per_chunk = (six_chunks - three_chunks) / 3
    assert per_chunk <= 7
    assert three_chunks - 3 * per_chunk <= 14  # the header, the duplicate checks and the pull's closing writes
