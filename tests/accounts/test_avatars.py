import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from bridgenote.accounts.avatars import AVATAR_SIZE, process_avatar


def jpeg_with_exif(width=300, height=200, orientation=6):
    image = Image.new("RGB", (width, height), (255, 0, 0))
    # Left half red, right half blue, to see the rotation.
    image.paste((0, 0, 255), (width // 2, 0, width, height))
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {2: (30.0, 40.0, 50.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def png_claiming(width, height):
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb)."""
    image = Image.new("L", (1, 1))
    out = io.BytesIO()
    image.save(out, format="PNG")
    data = bytearray(out.getvalue())
    ihdr = bytes(data[12:16]) + struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(ihdr) & 0xFFFFFFFF)
    return bytes(data)


def test_avatar_is_reencoded_as_a_webp_square_without_metadata():
    webp = process_avatar(io.BytesIO(jpeg_with_exif()))
    image = Image.open(io.BytesIO(webp))
    assert image.format == "WEBP"
    assert image.size == (AVATAR_SIZE, AVATAR_SIZE)
    assert not image.getexif()
    assert "exif" not in image.info and "icc_profile" not in image.info
    assert b"SecretCam" not in webp


def test_avatar_applies_exif_orientation():
    # Orientation 6: the stored image must be rotated 90° clockwise to display, so the red
    # left half ends up on top.
    webp = process_avatar(io.BytesIO(jpeg_with_exif(orientation=6)))
    image = Image.open(io.BytesIO(webp)).convert("RGB")
    top = image.getpixel((AVATAR_SIZE // 2, 10))
    bottom = image.getpixel((AVATAR_SIZE // 2, AVATAR_SIZE - 10))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"just some text, not an image",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"<!doctype html><html><body><script>alert(1)</script></body></html>",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,  # a PNG signature and garbage
        b"%PDF-1.4\n%...",
    ],
)
def test_avatar_refuses_what_is_not_an_image(content):
    upload = io.BytesIO(content)
    upload.name = "avatar.png"
    with pytest.raises(ValidationError) as exc:
        process_avatar(upload)
    assert exc.value.code == "not_image"


def test_avatar_refuses_a_decompression_bomb():
    with pytest.raises(ValidationError) as exc:
        process_avatar(io.BytesIO(png_claiming(50_000, 50_000)))
    assert exc.value.code == "bomb"


def test_avatar_refuses_an_image_over_the_avatar_pixel_limit():
    with pytest.raises(ValidationError) as exc:
        process_avatar(io.BytesIO(png_claiming(8000, 8000)))
    assert exc.value.code == "bomb"


def test_avatar_refuses_a_truncated_image():
    data = jpeg_with_exif()[:200]
    with pytest.raises(ValidationError):
        process_avatar(io.BytesIO(data))


def test_avatar_refuses_a_too_large_file(monkeypatch):
    from bridgenote.accounts import avatars

    monkeypatch.setattr(avatars, "AVATAR_MAX_BYTES", 100)
    with pytest.raises(ValidationError) as exc:
        process_avatar(io.BytesIO(jpeg_with_exif()))
    assert exc.value.code == "too_large"
