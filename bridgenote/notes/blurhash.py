"""Blurhash placeholders as tiny PNG data URIs, so a card shows its colours before the image.

Decoding on the server keeps pages free of placeholder JavaScript: a 32-pixel PNG is a few
hundred bytes and the browser scales it smoothly. Invalid hashes give "" (no placeholder).
"""

from __future__ import annotations

import base64
import io
import math
from functools import lru_cache

from PIL import Image

_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"
_VALUE = {c: i for i, c in enumerate(_CHARS)}
SIDE = 32


def _b83(text: str) -> int:
    value = 0
    for char in text:
        value = value * 83 + _VALUE[char]
    return value


def _to_linear(value: int) -> float:
    v = value / 255
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def _to_srgb(value: float) -> int:
    v = max(0.0, min(1.0, value))
    if v <= 0.0031308:
        return int(v * 12.92 * 255 + 0.5)
    return int((1.055 * v ** (1 / 2.4) - 0.055) * 255 + 0.5)


def _sign_pow(value: float, exponent: float) -> float:
    return math.copysign(abs(value) ** exponent, value)


def decode(blurhash: str, width: int, height: int) -> list[tuple[int, int, int]]:
    """Pixels (row by row) of ``blurhash`` at ``width`` x ``height``; raises ValueError."""
    if len(blurhash) < 6 or any(c not in _VALUE for c in blurhash):
        raise ValueError("not a blurhash")
    size = _b83(blurhash[0])
    ny, nx = size // 9 + 1, size % 9 + 1
    if len(blurhash) != 4 + 2 * nx * ny:
        raise ValueError("blurhash length does not match its components")
    maximum = (_b83(blurhash[1]) + 1) / 166
    dc = _b83(blurhash[2:6])
    colours = [(_to_linear(dc >> 16), _to_linear((dc >> 8) & 255), _to_linear(dc & 255))]
    for i in range(1, nx * ny):
        value = _b83(blurhash[4 + i * 2 : 6 + i * 2])
        quantised = (value // (19 * 19), (value // 19) % 19, value % 19)
        colours.append(
            tuple(_sign_pow((q - 9) / 9, 2.0) * maximum for q in quantised)  # type: ignore[misc]
        )
    cos_x = [[math.cos(math.pi * x * i / width) for i in range(nx)] for x in range(width)]
    cos_y = [[math.cos(math.pi * y * j / height) for j in range(ny)] for y in range(height)]
    pixels = []
    for y in range(height):
        for x in range(width):
            r = g = b = 0.0
            for j in range(ny):
                for i in range(nx):
                    basis = cos_x[x][i] * cos_y[y][j]
                    cr, cg, cb = colours[i + j * nx]
                    r += cr * basis
                    g += cg * basis
                    b += cb * basis
            pixels.append((_to_srgb(r), _to_srgb(g), _to_srgb(b)))
    return pixels


@lru_cache(maxsize=4096)
def data_uri(blurhash: str, width: int = 0, height: int = 0) -> str:
    """A ``data:image/png;base64,...`` URI of the placeholder, "" if the hash is invalid."""
    if not blurhash:
        return ""
    ratio = max(0.25, min(4.0, width / height)) if width > 0 and height > 0 else 1.0
    w, h = (
        (SIDE, max(1, round(SIDE / ratio))) if ratio >= 1 else (max(1, round(SIDE * ratio)), SIDE)
    )
    try:
        pixels = decode(blurhash, w, h)
    except (ValueError, IndexError):
        return ""
    image = Image.new("RGB", (w, h))
    image.putdata(pixels)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
