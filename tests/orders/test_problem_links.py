"""Every Problem on the problems page links to its order, RMA or connection."""

from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from connections.models import Problem
from connections.sync.problems import problem_raise
from orders.models import Order, StorePush
from tests.orders.conftest import GTIN_TEE_M


def test_problems_link_to_their_order_and_connection(world, owner_client):
    world.configure(auto_accept=True)
    world.offer((GTIN_TEE_M, 10000, 1))
    world.sync()
    order = Order.objects.get()
    push = StorePush.objects.get()
    problem_raise(merchant=world.merchant, kind="outbox_dead", message="store push failed", fingerprint="t:1",
                  subject_type="orders.storepush", subject_id=push.pk)
    problem_raise(merchant=world.merchant, kind="ambiguous_stock_write", message="stock?", fingerprint="t:2", connection=world.connection,
                  subject_type="order", subject_id=order.pk)
    problem_raise(merchant=world.merchant, kind="identification_mismatch", message="attribute", fingerprint="t:3",
                  connection=world.connection, subject_type="connection", subject_id=world.connection.pk)
    problem_raise(merchant=world.merchant, kind="malformed_payload", message="bad", fingerprint="t:4", connection=world.connection,
                  subject_type="transfer", subject_id="?")
    with CaptureQueriesContext(db) as captured:
        body = owner_client.get("/problems/").content.decode()
    # A link needs the order's ids only: its encrypted customer fields are neither read nor decrypted for it.
    order_reads = [q["sql"] for q in captured.captured_queries if '"orders_order"."miinto_id"' in q["sql"]]
    assert order_reads and not [sql for sql in order_reads if "customer_" in sql], order_reads
    order_link = f'<a href="/orders/{order.transfer_id}/" class="problem-subject">Open Miinto order {order.parent_order_id or order.miinto_id}</a>'
    assert body.count(order_link) == 2
    assert f'<a href="/connections/{world.connection.pk}/" class="problem-subject">Open connection {world.connection}</a>' in body
    # A subject that cannot be resolved falls back to its connection's page.
    assert body.count(f'<a href="/connections/{world.connection.pk}/" class="problem-subject">Open connection</a>') == 1
    assert Problem.objects.count() == 4
