import pytest
from django.test import RequestFactory

from bridgenote.core.net import client_ip


@pytest.fixture
def rf():
    return RequestFactory()


def test_forwarded_header_is_ignored_without_trusted_proxies(rf, settings):
    settings.TRUSTED_PROXIES = []
    request = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "203.0.113.9"


def test_forwarded_header_is_believed_from_a_trusted_proxy(rf, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="36.110.1.1")
    assert client_ip(request) == "36.110.1.1"


def test_a_forged_hop_before_the_real_client_is_not_believed(rf, settings):
    # The client sent "X-Forwarded-For: 8.8.8.8"; the proxy appended the real address.
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="8.8.8.8, 198.51.100.7")
    assert client_ip(request) == "198.51.100.7"


def test_a_chain_of_trusted_proxies_is_walked(rf, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.168.0.1"]
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7, 192.168.0.1")
    assert client_ip(request) == "198.51.100.7"


def test_garbage_in_the_header_falls_back_to_the_last_trusted_hop(rf, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-ip")
    assert client_ip(request) == "10.0.0.2"


def test_ipv4_mapped_ipv6_is_reported_as_ipv4(rf, settings):
    request = rf.get("/", REMOTE_ADDR="::ffff:203.0.113.9")
    assert client_ip(request) == "203.0.113.9"
