"""Photo renditions straight from ``images.render_image``: orientation, resampling quality,
sizes, colour, the alpha path. No database."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageDraw, ImageOps

from bridgenote.media.errors import MediaError
from bridgenote.media.images import render_image

# Orientation -> the transposition that makes the stored picture from the upright one (the
# inverse of what a viewer applies).
TO_STORED = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}
QUADRANTS = [(220, 30, 30), (30, 200, 30), (30, 30, 220), (230, 230, 40)]  # TL, TR, BL, BR


def upright_quadrants(size: tuple[int, int]) -> Image.Image:
    """Four coloured quadrants (no symmetry survives a wrong flip or turn) and a dark bar
    along the top edge."""
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    half_w, half_h = width // 2, height // 2
    for index, (x, y) in enumerate([(0, 0), (half_w, 0), (0, half_h), (half_w, half_h)]):
        draw.rectangle([x, y, x + half_w, y + half_h], fill=QUADRANTS[index])
    draw.rectangle([0, 0, width, height // 20], fill=(10, 10, 10))
    return image


def stored(upright: Image.Image, orientation: int, fmt: str) -> bytes:
    method = TO_STORED[orientation]
    image = upright.transpose(method) if method is not None else upright
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, fmt, exif=exif.tobytes(), **({"quality": 92} if fmt == "JPEG" else {}))
    data = buffer.getvalue()
    # The fixture itself is right: Pillow's own EXIF handling turns it back upright.
    assert ImageOps.exif_transpose(Image.open(io.BytesIO(data))).size == upright.size
    return data


def decoded(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float64)


def sample(pixels: np.ndarray) -> list[tuple[int, ...]]:
    """Colour at the centre of each quadrant (TL, TR, BL, BR)."""
    height, width = pixels.shape[:2]
    points = [(width // 4, height * 3 // 8), (width * 3 // 4, height * 3 // 8)]
    points += [(width // 4, height * 3 // 4), (width * 3 // 4, height * 3 // 4)]
    return [tuple(int(value) for value in pixels[y, x]) for x, y in points]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_upright(fmt: str, orientation: int) -> None:
    # 3000x2000 upright: big enough that JPEGs are reduced on load and PNGs reduced by whole
    # factors before the resize, so the rotation runs after the resize on either path.
    upright = upright_quadrants((3000, 2000))

    result = render_image(io.BytesIO(stored(upright, orientation, fmt)))

    assert (result.width, result.height) == (3000, 2000)
    renditions = {rendition.name: rendition for rendition in result.renditions}
    assert (renditions["large"].width, renditions["large"].height) == (1440, 960)
    assert (renditions["card"].width, renditions["card"].height) == (540, 360)
    for name in ("large", "card"):
        pixels = decoded(renditions[name].data)
        for got, want in zip(sample(pixels), QUADRANTS, strict=True):
            assert max(abs(a - b) for a, b in zip(got, want, strict=True)) < 16, (name, got)
        assert pixels[2, pixels.shape[1] // 2].mean() < 40  # the dark bar is at the top


def test_portrait_phone_photo_keeps_its_detail_against_a_full_size_reference() -> None:
    """A 4000x3000 JPEG stored rotated (orientation 6), with fine lines: the detail rendition
    (JPEG reduced on load, libvips LANCZOS3 resize, rotation) stays as close to a full-size
    decode resized with Pillow's LANCZOS as the WebP encode allows."""
    upright = Image.new("RGB", (3000, 4000), (235, 235, 225))
    draw = ImageDraw.Draw(upright)
    for x in range(0, 3000, 29):
        draw.line([(x, 0), (x + 700, 4000)], fill=(25, 35, 45), width=3)
    data = stored(upright, 6, "JPEG")
    reference = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))

    result = render_image(io.BytesIO(data))

    large = next(rendition for rendition in result.renditions if rendition.name == "large")
    assert (large.width, large.height) == (1440, 1920)
    want = np.asarray(reference.resize((1440, 1920), Image.Resampling.LANCZOS), np.float64)
    error = np.mean((decoded(large.data) - want) ** 2)
    psnr = 10 * np.log10(255**2 / error)
    # Measured 30.5 dB, the same as the Pillow-only LANCZOS path before libvips; a softer
    # resize (BILINEAR) measured 26 dB on similar lines before the WebP encode even starts.
    assert psnr > 29, psnr


def test_small_photo_is_not_upscaled() -> None:
    result = render_image(io.BytesIO(stored(upright_quadrants((500, 400)), 6, "JPEG")))

    sizes = {rendition.name: (rendition.width, rendition.height) for rendition in result.renditions}
    assert sizes == {"large": (500, 400), "card": (500, 400)}


def test_photo_with_alpha_keeps_the_pillow_path_and_its_transparency() -> None:
    image = upright_quadrants((2000, 1000)).convert("RGBA")
    image.putalpha(Image.linear_gradient("L").resize((2000, 1000)))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")

    result = render_image(io.BytesIO(buffer.getvalue()))

    large = next(rendition for rendition in result.renditions if rendition.name == "large")
    out = Image.open(io.BytesIO(large.data))
    assert out.mode == "RGBA" and out.size == (1440, 720)
    alpha = np.asarray(out.getchannel("A"), np.float64)
    assert alpha[5].mean() < 20 and alpha[-5].mean() > 235  # gradient top to bottom kept


def test_embedded_icc_profile_is_converted_to_srgb_and_not_written() -> None:
    """The colour transform runs on the resized picture (libvips path): with an sRGB profile
    embedded the colours stay as they are, and no ICC chunk is written."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    upright_quadrants((3000, 2000)).save(buffer, "JPEG", quality=92, icc_profile=profile)

    result = render_image(io.BytesIO(buffer.getvalue()))

    for rendition in result.renditions:
        out = Image.open(io.BytesIO(rendition.data))
        assert "icc_profile" not in out.info
        got = sample(np.asarray(out.convert("RGB"), np.float64))
        for colour, want in zip(got, QUADRANTS, strict=True):
            assert max(abs(a - b) for a, b in zip(colour, want, strict=True)) < 16


def test_truncated_jpeg_found_in_processing_is_a_corrupt_image() -> None:
    data = stored(upright_quadrants((3000, 2000)), 6, "JPEG")

    with pytest.raises(MediaError) as caught:
        render_image(io.BytesIO(data[: len(data) // 2]))

    assert caught.value.code == "corrupt_image"


def test_cmyk_jpeg_goes_through_pillow_and_comes_out_rgb() -> None:
    buffer = io.BytesIO()
    upright_quadrants((3000, 2000)).convert("CMYK").save(buffer, "JPEG", quality=92)

    result = render_image(io.BytesIO(buffer.getvalue()))

    large = next(rendition for rendition in result.renditions if rendition.name == "large")
    out = Image.open(io.BytesIO(large.data))
    assert out.mode == "RGB" and out.size == (1440, 960)
    got = sample(np.asarray(out, np.float64))
    for colour, want in zip(got, QUADRANTS, strict=True):
        assert max(abs(a - b) for a, b in zip(colour, want, strict=True)) < 24
