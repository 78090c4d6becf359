"""Avatar images: checked, decoded safely, squared and re-encoded, never stored as uploaded.

The uploaded bytes are never trusted: the format is sniffed by Pillow from the content (not
the file name or the browser's content type), decompression bombs are refused before any
pixel is decoded, EXIF orientation is applied, and the result is a fresh WebP square without
metadata. An SVG or HTML file renamed ``.png`` is simply not an image to Pillow.
"""

from __future__ import annotations

import io
import uuid
import warnings
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

AVATAR_SIZE = 400
AVATAR_MAX_BYTES = 10 * 1024 * 1024
AVATAR_MAX_PIXELS = 40_000_000
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}

# Lower Pillow's own bomb limit for the whole process (its default is ~179 MP); media code
# that needs more sets its own explicit check.
if Image.MAX_IMAGE_PIXELS is None or Image.MAX_IMAGE_PIXELS > AVATAR_MAX_PIXELS * 2:
    Image.MAX_IMAGE_PIXELS = AVATAR_MAX_PIXELS * 2


def process_avatar(upload: IO[bytes], *, size: int | None = None) -> bytes:
    """The upload as a ``AVATAR_SIZE`` px WebP square; ValidationError if it is not acceptable."""
    data = upload.read(AVATAR_MAX_BYTES + 1)
    if len(data) > AVATAR_MAX_BYTES:
        raise ValidationError(_("The image is larger than 10 MB."), code="too_large")
    not_an_image = ValidationError(
        _("This file is not an image we can use. Upload a JPEG, PNG, WebP or GIF photo."),
        code="not_image",
    )
    too_big = ValidationError(
        _("This image has too many pixels. Upload a smaller photo."), code="bomb"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            opened = Image.open(io.BytesIO(data))
            if opened.format not in ALLOWED_FORMATS:
                raise not_an_image
            width, height = opened.size
            if width * height > AVATAR_MAX_PIXELS or max(width, height) > 20_000:
                raise too_big
            opened.seek(0)  # first frame of an animation
            opened.load()
            image: Image.Image = ImageOps.exif_transpose(opened)
            if image.mode not in ("RGB", "RGBA"):
                image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
            side = size or AVATAR_SIZE
            square = ImageOps.fit(image, (side, side), method=Image.Resampling.LANCZOS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_big from None
        except ValidationError:
            raise
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
            raise not_an_image from None
    out = io.BytesIO()
    # A new image object carries no EXIF, ICC or XMP from the upload.
    clean = Image.new(square.mode, square.size)
    clean.paste(square)
    clean.save(out, format="WEBP", quality=85, method=4)
    return out.getvalue()


def store_avatar(webp: bytes) -> str:
    """Save re-encoded avatar bytes to the default storage; return the storage name."""
    return default_storage.save(f"avatars/{uuid.uuid4().hex}.webp", ContentFile(webp))


def avatar_url(name: str) -> str:
    return default_storage.url(name) if name else ""
