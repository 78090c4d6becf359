"""Photo renditions: upright, sRGB, metadata-free WebP at the card and detail sizes.

Everything here works on an already-probed file (``probe.open_image`` refuses bombs). Speed
matters (a 12 MP JPEG is budgeted 400 ms on one core), hence JPEG reduce-on-load
(``Image.draft``: libjpeg decodes straight to 1/2, 1/4 or 1/8 scale), and renditions resized
from the nearest larger one rather than each from the full image.
"""

from __future__ import annotations

import functools
import io
import warnings
from dataclasses import dataclass, field
from typing import IO

import blurhash
import imagehash
from django.conf import settings
from PIL import Image, ImageCms, ImageSequence

from bridgenote.media.errors import MediaError
from bridgenote.media.probe import open_image

ORIENTATION = 0x0112
ROTATED_ORIENTATIONS = {5, 6, 7, 8}  # these swap width and height
# EXIF orientation -> the transposition that shows the picture upright (as ImageOps.exif_transpose,
# which cannot be used once the image is reduced: the copy has no EXIF to read).
TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# Animated GIFs become animated WebP when decoding and encoding every frame stays cheap.
ANIMATION_MAX_FRAMES = 300
ANIMATION_MAX_PIXELS = 60_000_000  # frames x width x height of the detail rendition


@dataclass
class Rendition:
    name: str
    data: bytes
    width: int
    height: int
    mime: str = "image/webp"
    extension: str = ".webp"
    animated: bool = False


@dataclass
class ImageResult:
    width: int
    height: int
    blurhash: str
    phash: str
    renditions: list[Rendition] = field(default_factory=list)


@functools.lru_cache(maxsize=32)
def _to_srgb(icc_profile: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A colour transform from an embedded RGB profile (e.g. Display P3) to sRGB, or None."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        if source.profile.xcolor_space.strip() != "RGB":
            return None
        srgb = ImageCms.createProfile("sRGB")
        return ImageCms.buildTransform(source, srgb, mode, mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def _normalise_mode(image: Image.Image) -> Image.Image:
    has_alpha = image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or (
        image.mode == "P" and "transparency" in image.info
    )
    target = "RGBA" if has_alpha else "RGB"
    return image if image.mode == target else image.convert(target)


def _fit_width(size: tuple[int, int], width: int) -> tuple[int, int]:
    """``size`` scaled to ``width`` (never up), keeping the aspect ratio."""
    if size[0] <= width:
        return size
    return width, max(1, round(size[1] * width / size[0]))


def _webp(image: Image.Image, **options: object) -> bytes:
    buffer = io.BytesIO()
    # No exif=, icc_profile= or xmp=: Pillow writes none of them unless asked.
    image.save(
        buffer,
        "WEBP",
        quality=settings.MEDIA_WEBP_QUALITY,
        method=settings.MEDIA_WEBP_METHOD,
        **options,
    )
    return buffer.getvalue()


def _avif(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # Like _webp: no exif=, icc_profile= or xmp=, so none is written.
    image.save(
        buffer,
        "AVIF",
        quality=settings.MEDIA_AVIF_QUALITY,
        speed=settings.MEDIA_AVIF_SPEED,
        max_threads=1,
    )
    return buffer.getvalue()


def _card_renditions(card: Image.Image) -> list[Rendition]:
    """The card in WebP, plus AVIF when ``MEDIA_AVIF`` is on."""
    renditions = [Rendition("card", _webp(card), *card.size)]
    if settings.MEDIA_AVIF:
        avif = _avif(card)
        renditions.append(Rendition("card_avif", avif, *card.size, "image/avif", ".avif"))
    return renditions


def _placeholders(image: Image.Image) -> tuple[str, str]:
    """(blurhash, perceptual hash) from a small copy of the picture."""
    small = image.copy()
    small.thumbnail((64, 64), Image.Resampling.BILINEAR)
    rgb = small.convert("RGB")
    components = (4, 3) if rgb.width >= rgb.height else (3, 4)
    phash = str(imagehash.phash(rgb))
    # blurhash.encode closes the image it is given, so it gets the last use.
    return blurhash.encode(rgb, *components), phash


def _decode_upright(image: Image.Image, large_width: int) -> Image.Image:
    """Decode (JPEGs reduced on load to just above the detail width), rotate upright, sRGB."""
    orientation = image.getexif().get(ORIENTATION, 1)
    if image.format == "JPEG" and image.mode in {"RGB", "L"}:
        # draft() picks the largest 1/n scale whose result still covers the requested size;
        # after a 90 degree rotation the detail width is measured along the stored height.
        wanted = (1, large_width) if orientation in ROTATED_ORIENTATIONS else (large_width, 1)
        image.draft(image.mode, wanted)
    image.load()
    icc_profile = image.info.get("icc_profile")
    # Formats without reduce-on-load (PNG, HEIC, WebP): halve by whole factors right away, so
    # the rotations, conversions and resizes below touch a quarter of the pixels or fewer.
    across = image.height if orientation in ROTATED_ORIENTATIONS else image.width
    factor = across // large_width
    if factor >= 2 and image.mode in {"RGB", "RGBA", "L", "LA"}:
        image = image.reduce(factor)
    method = TRANSPOSE.get(orientation)
    upright = image.transpose(method) if method is not None else image
    upright = _normalise_mode(upright)
    if icc_profile:
        transform = _to_srgb(icc_profile, upright.mode)
        if transform is not None:
            upright = ImageCms.applyTransform(upright, transform) or upright
    return upright


def _render_still(image: Image.Image) -> ImageResult:
    large_width, card_width = settings.MEDIA_LARGE_WIDTH, settings.MEDIA_CARD_WIDTH
    width, height = image.size  # before any reduce-on-load
    if image.getexif().get(ORIENTATION, 1) in ROTATED_ORIENTATIONS:
        width, height = height, width
    upright = _decode_upright(image, large_width)
    large = upright.resize(
        _fit_width(upright.size, large_width), Image.Resampling.LANCZOS, reducing_gap=3.0
    )
    card = large.resize(
        _fit_width(large.size, card_width), Image.Resampling.LANCZOS, reducing_gap=3.0
    )
    blur, phash = _placeholders(card)
    return ImageResult(
        width=width,
        height=height,
        blurhash=blur,
        phash=phash,
        renditions=[*_card_renditions(card), Rendition("large", _webp(large), *large.size)],
    )


def _render_animated(image: Image.Image) -> ImageResult:
    """An animated GIF or WebP: an animated WebP for the detail view, a still card."""
    large_width, card_width = settings.MEDIA_LARGE_WIDTH, settings.MEDIA_CARD_WIDTH
    size = _fit_width(image.size, large_width)
    frames: list[Image.Image] = []
    durations: list[int] = []
    for frame in ImageSequence.Iterator(image):
        rgba = frame.convert("RGBA")
        frames.append(rgba if rgba.size == size else rgba.resize(size, Image.Resampling.LANCZOS))
        durations.append(max(20, int(frame.info.get("duration", 100) or 100)))
    first = frames[0]
    card = first.resize(_fit_width(first.size, card_width), Image.Resampling.LANCZOS)
    blur, phash = _placeholders(card)
    animation = _webp(first, save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return ImageResult(
        width=image.width,
        height=image.height,
        blurhash=blur,
        phash=phash,
        renditions=[*_card_renditions(card), Rendition("large", animation, *size, animated=True)],
    )


def render_image(file: IO[bytes]) -> ImageResult:
    """Renditions, dimensions and hashes of a photo; ``MediaError`` if it cannot be decoded."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = open_image(file)
        try:
            frames = getattr(image, "n_frames", 1)
            animated_size = _fit_width(image.size, settings.MEDIA_LARGE_WIDTH)
            if (
                frames > 1
                and image.format in {"GIF", "WEBP"}
                and frames <= ANIMATION_MAX_FRAMES
                and frames * animated_size[0] * animated_size[1] <= ANIMATION_MAX_PIXELS
            ):
                return _render_animated(image)
            return _render_still(image)
        except MediaError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise MediaError("image_too_many_pixels") from None
        except (OSError, SyntaxError, ValueError, EOFError):
            # Truncated data, a corrupt stream, or a decoder refusing the file.
            raise MediaError("corrupt_image") from None
