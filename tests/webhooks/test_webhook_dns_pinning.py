"""A webhook send connects to the address the SSRF guard vetted: a DNS answer that changes after the check (rebinding
to loopback or the cloud metadata service) is never used, while the Host header and TLS keep the endpoint's name.

Loopback stands in for the internet here: 127.0.0.1 plays the public address the check sees (the test's `is_public`
says so), 127.0.0.2 the private one a rebinding DNS answers afterwards, each with a receiver on the same port.
"""

import datetime
import socket
import ssl

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.db import transaction
from django_scopes import scopes_disabled

from koongo import url_guard
from koongo.url_guard import PinnedTransport, VettedUrl
from webhooks import delivery
from webhooks.event_types import ORDER_PUSHED
from webhooks.events import emit
from webhooks.models import WebhookAttempt, WebhookEndpoint
from webhooks.receiver import Receiver, start

HOST = "hooks.example"
VETTED, REBOUND = "127.0.0.1", "127.0.0.2"


def _certificate(subject: str, issuer: str, key, signing_key, *, ca: bool, names=()):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


@pytest.fixture
def tls(tmp_path):
    """(server context for a certificate naming `name`, client context trusting only the test CA)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Test CA", "Test CA", ca_key, ca_key, ca=True)
    client = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())

    def server_for(name: str) -> ssl.SSLContext:
        key = ec.generate_private_key(ec.SECP256R1())
        leaf = _certificate(name, "Test CA", key, ca_key, ca=False, names=[name])
        (tmp_path / "cert.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        (tmp_path / "key.pem").write_bytes(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
        return context

    return server_for, client


@pytest.fixture
def servers(tls):
    """The vetted receiver and the rebinding target, both on one port and both with a valid certificate for HOST."""
    server_for, _ = tls
    vetted, rebound = Receiver(), Receiver()
    running = [start(vetted, host=VETTED, tls=server_for(HOST))]
    port = running[0].server_address[1]
    running.append(start(rebound, port, host=REBOUND, tls=server_for(HOST)))
    yield vetted, rebound, port
    for server in running:
        server.shutdown()
        server.server_close()


@pytest.fixture
def rebinding_dns(monkeypatch, tls):
    """HOST answers VETTED to the first lookup and REBOUND to every later one; the lookups of HOST are counted."""
    real = socket.getaddrinfo
    lookups = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != HOST:
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        address = VETTED if len(lookups) == 1 else REBOUND
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(url_guard, "is_public", lambda address: str(address) == VETTED)
    monkeypatch.setattr(delivery, "shared_ssl_context", lambda: tls[1])
    return lookups


def _deliver_to(merchant, endpoint, url, settings, capture):
    settings.ALLOW_PRIVATE_STORE_URLS = False  # production: https and public addresses only
    with scopes_disabled():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=url)
    with capture(execute=True):
        with transaction.atomic():
            [row] = emit(merchant.pk, ORDER_PUSHED, {"order_id": 1}, object_key="order:1")
    with scopes_disabled():
        return WebhookAttempt.objects.get(delivery=row)


def test_the_stand_in_dns_really_rebinds_an_unpinned_client(servers, rebinding_dns, tls):
    """Without pinning, the check's answer and the connection's answer differ: the request reaches REBOUND."""
    vetted, rebound, port = servers
    url_guard.check_url(f"https://{HOST}:{port}/hooks")
    with httpx.Client(verify=tls[1]) as client:
        assert client.post(f"https://{HOST}:{port}/hooks", content=b"{}").status_code == 200
    assert vetted.requests == [] and len(rebound.requests) == 1


def test_a_delivery_connects_to_the_vetted_address_and_never_resolves_again(
    merchant, endpoint_and_secret, servers, rebinding_dns, settings, django_capture_on_commit_callbacks
):
    vetted, rebound, port = servers
    endpoint, _ = endpoint_and_secret

    attempt = _deliver_to(merchant, endpoint, f"https://{HOST}:{port}/hooks", settings, django_capture_on_commit_callbacks)

    assert attempt.response_status == 200, attempt.error
    assert rebinding_dns == [HOST]  # one lookup: the check's; the connection used its answer
    assert rebound.requests == []
    [received] = vetted.requests
    assert received.headers["host"] == f"{HOST}:{port}" and received.headers["webhook-id"]


def test_tls_still_checks_the_certificate_against_the_endpoints_name(
    merchant, endpoint_and_secret, tls, rebinding_dns, settings, django_capture_on_commit_callbacks
):
    server_for, _ = tls
    impostor = Receiver()
    server = start(impostor, host=VETTED, tls=server_for("someone-else.example"))
    try:
        port = server.server_address[1]
        endpoint, _ = endpoint_and_secret
        attempt = _deliver_to(merchant, endpoint, f"https://{HOST}:{port}/hooks", settings, django_capture_on_commit_callbacks)
    finally:
        server.shutdown()
        server.server_close()
    assert attempt.response_status is None and "CERTIFICATE_VERIFY_FAILED" in attempt.error
    assert impostor.requests == []


def test_the_next_vetted_address_is_tried_when_one_refuses_the_connection(servers, tls):
    vetted, rebound, port = servers
    url = f"https://{HOST}:{port}/hooks"
    closed = "127.0.0.3"  # nothing listens there: the connection is refused before anything is sent
    with httpx.Client(transport=PinnedTransport(VettedUrl(url, HOST, (closed, VETTED)), verify=tls[1])) as client:
        response = client.post(url, content=b"{}")
    assert response.status_code == 200 and str(response.request.url) == url
    assert len(vetted.requests) == 1 and rebound.requests == []


def test_a_pinned_client_refuses_a_host_that_was_not_vetted(tls):
    vetted = VettedUrl(f"https://{HOST}/hooks", HOST, (VETTED,))
    with httpx.Client(transport=PinnedTransport(vetted, verify=tls[1])) as client, pytest.raises(httpx.ConnectError, match="not vetted"):
        client.get("https://metadata.example/latest")
