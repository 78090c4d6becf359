import pytest
from django.utils import translation

from bridgenote.accounts import territory
from bridgenote.accounts.templatetags.accounts_tags import ip_territory


@pytest.mark.parametrize(
    ("ip", "code"),
    [
        ("110.184.0.1", "CN-51"),  # Chengdu, Sichuan
        ("202.96.209.5", "CN-31"),  # Shanghai
        ("223.255.252.1", "CN-15"),  # Inner Mongolia
        ("1.36.0.1", "CN-81"),  # Hong Kong
        ("60.246.0.1", "CN-82"),  # Macao
        ("140.112.0.1", "CN-71"),  # Taiwan
        ("8.8.8.8", "US"),
        ("81.2.69.142", "GB"),
        ("2001:4860:4860::8888", "US"),  # IPv6 through geoip2fast
        ("::ffff:110.184.0.1", "CN-51"),  # IPv4-mapped IPv6
        ("127.0.0.1", ""),
        ("10.1.2.3", ""),
        ("192.168.1.1", ""),
        ("::1", ""),
        ("fe80::1", ""),
        ("not an ip", ""),
        ("", ""),
    ],
)
def test_territory_for_ip(ip, code):
    assert territory.territory_for_ip(ip) == code


def test_territory_names_in_both_languages():
    assert territory.territory_name("CN-51", "zh-hans") == "四川"
    assert territory.territory_name("CN-51", "en") == "Sichuan"
    assert territory.territory_name("US", "zh-hans") == "美国"
    assert territory.territory_name("US", "en") == "United States"
    assert territory.territory_name("", "en") == ""
    assert len(territory.PROVINCES) == 34


def test_ip_territory_filter_follows_the_viewer_language():
    with translation.override("zh-hans"):
        assert ip_territory("CN-51") == "IP属地：四川"
        assert ip_territory("") == "IP属地：未知"
    with translation.override("en"):
        assert ip_territory("CN-51") == "IP territory: Sichuan"
        assert ip_territory("US") == "IP territory: United States"


def test_territory_paths_are_configurable(settings, tmp_path):
    territory._ip2region.cache_clear()
    territory._geoip.cache_clear()
    settings.IP2REGION_XDB_PATH = str(tmp_path / "missing.xdb")
    settings.GEOIP2FAST_DAT_PATH = str(tmp_path / "missing.dat.gz")
    try:
        assert territory.territory_for_ip("110.184.0.1") == ""
    finally:
        territory._ip2region.cache_clear()
        territory._geoip.cache_clear()


def test_territory_databases_load_once_per_process():
    territory.territory_for_ip("110.184.0.1")
    first = territory._ip2region()
    territory.territory_for_ip("202.96.209.5")
    assert territory._ip2region() is first
