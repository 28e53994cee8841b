"""The SSRF guard (koongo/url_guard.py): https only, and every resolved address public."""

import socket

import pytest

from koongo.url_guard import UnsafeUrl, VettedUrl, check_url, vet_url


def resolver(*addresses):
    def resolve(host, port, type=0):
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    return resolve


def test_a_public_https_url_passes():
    assert check_url("https://shop.example.com/api", resolve=resolver("93.184.215.14")) == "https://shop.example.com/api"


@pytest.mark.parametrize(
    "url,message",
    [
        ("http://shop.example.com", "The address must start with https://"),
        ("ftp://shop.example.com", "The address must start with https://"),
        ("https://", "is not a URL with a host name"),
        ("https://127.0.0.1:8766/magento2", "127.0.0.1 resolves to a non-public address (127.0.0.1)"),
        ("https://[::1]/", "::1 resolves to a non-public address (::1)"),
        ("https://169.254.169.254/latest/meta-data", "non-public address (169.254.169.254)"),
        ("https://10.1.2.3/", "non-public address (10.1.2.3)"),
        ("https://100.64.0.1/", "non-public address (100.64.0.1)"),
        ("https://[::ffff:127.0.0.1]/", "non-public address (::ffff:7f00:1)"),
    ],
)
def test_unsafe_urls_are_refused_with_a_reason(url, message):
    with pytest.raises(UnsafeUrl) as refused:
        check_url(url, resolve=resolver("93.184.215.14"))
    assert message in refused.value.message


def test_every_resolved_address_is_checked_not_just_the_first():
    with pytest.raises(UnsafeUrl) as refused:
        check_url("https://rebind.example.com", resolve=resolver("93.184.215.14", "192.168.1.20"))
    assert refused.value.message == (
        "rebind.example.com resolves to a non-public address (192.168.1.20); Koongo only calls public servers"
    )


def test_a_name_that_does_not_resolve_is_refused():
    def fails(host, port, type=0):
        raise socket.gaierror(-2, "Name or service not known")

    with pytest.raises(UnsafeUrl, match="does not resolve"):
        check_url("https://nowhere.invalid", resolve=fails)


def test_development_settings_allow_the_simulators_over_http():
    assert check_url("http://127.0.0.1:8766/magento2", allow_private=True) == "http://127.0.0.1:8766/magento2"
    with pytest.raises(UnsafeUrl):
        check_url("file:///etc/passwd", allow_private=True)


def test_the_vetted_addresses_are_kept_for_the_connection_in_the_resolvers_order():
    vetted = vet_url("https://hooks.example.com/in", resolve=resolver("2606:2800:21f:cb07:6820:80da:af6b:8b2c", "93.184.215.14", "93.184.215.14"))
    assert vetted == VettedUrl("https://hooks.example.com/in", "hooks.example.com", ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", "93.184.215.14"))
    # Development resolves nothing, so the connection resolves as usual (the simulators on loopback).
    assert vet_url("http://127.0.0.1:8766/in", allow_private=True).addresses == ()
