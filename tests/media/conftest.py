"""Media made on the spot: photos (with EXIF, GPS, orientation), HEIC, videos, bad files."""

from __future__ import annotations

import io
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.functional import empty
from PIL import Image

GPS_IFD = 0x8825


def photo(size: tuple[int, int] = (800, 600), color: tuple[int, int, int] = (200, 60, 40),
          fmt: str = "JPEG", **save: Any) -> bytes:  # fmt: skip
    """A picture with a gradient (so it compresses like a photo, not a flat colour)."""
    width, height = size
    x = np.linspace(0, 255, width, dtype=np.uint8)
    y = np.linspace(0, 255, height, dtype=np.uint8)
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[..., 0] = color[0]
    pixels[..., 1] = x[None, :]
    pixels[..., 2] = y[:, None]
    image = Image.fromarray(pixels, "RGB")
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def exif_with_gps(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 15"  # Model
    if orientation:
        exif[0x0112] = orientation
    exif.get_ifd(GPS_IFD).update(
        {1: "N", 2: (30.0, 39.0, 36.0), 3: "E", 4: (104.0, 3.0, 36.0)}  # Chengdu
    )
    return exif


def heic(size: tuple[int, int] = (640, 480)) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    image = Image.open(io.BytesIO(photo(size, fmt="PNG")))
    buffer = io.BytesIO()
    image.save(buffer, "HEIF", quality=80, exif=exif_with_gps().tobytes())
    return buffer.getvalue()


def video(
    seconds: float = 1.0,
    size: tuple[int, int] = (96, 64),
    fps: int = 10,
    fmt: str = "mp4",
    audio: bool = True,
    rotation: int | None = None,
) -> bytes:
    """A small clip with moving colour bars (and a tone) made with PyAV."""
    buffer = io.BytesIO()
    codec = {"mp4": "libx264", "mov": "libx264", "webm": "libvpx"}[fmt]
    with av.open(buffer, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        if codec == "libx264":
            stream.options = {"preset": "ultrafast"}  # quick to make, even at 1080p
        if rotation is not None:
            stream.set_display_rotation(rotation)
        sound = None
        if audio:
            sound = out.add_stream("aac" if fmt != "webm" else "libopus", rate=48000)
            sound.codec_context.layout = "mono"
            sound_format = "fltp" if fmt != "webm" else "flt"
        frames = int(seconds * fps)
        for index in range(frames):
            pixels = np.zeros((size[1], size[0], 3), dtype=np.uint8)
            pixels[:, : size[0] // 2, 0] = 255
            pixels[:, :, 1] = (index * 25) % 255
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
        if sound is not None:
            samples = int(seconds * 48000)
            tone = (np.sin(np.arange(samples) * 2 * np.pi * 440 / 48000) * 0.3).astype(np.float32)
            frame_size = sound.codec_context.frame_size or 960
            for start in range(0, samples, frame_size):
                chunk = tone[start : start + frame_size]
                if len(chunk) < frame_size:
                    break
                aframe = av.AudioFrame.from_ndarray(
                    chunk.reshape(1, -1),
                    format=sound_format, layout="mono",
                )  # fmt: skip
                aframe.sample_rate = 48000
                aframe.pts = start
                out.mux(sound.encode(aframe))
            out.mux(sound.encode(None))
    return buffer.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> Any:
    return SimpleUploadedFile(name, data, content_type=content_type)


def stored_files() -> list[str]:
    """Every file in the default storage under attachments/ (recursively)."""
    found: list[str] = []

    def walk(folder: str) -> None:
        try:
            directories, files = default_storage.listdir(folder)
        except FileNotFoundError:
            return
        found.extend(f"{folder}/{name}" for name in files)
        for directory in directories:
            walk(f"{folder}/{directory}")

    walk("attachments")
    return sorted(found)


@pytest.fixture(autouse=True)
def _empty_media_storage(settings: Any, tmp_path: Path) -> Iterator[None]:
    """Each test starts with its own empty media folder."""
    from django.core.files.storage import storages

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media/"},
        },
    }
    storages._storages = {}
    default_storage._wrapped = empty  # type: ignore[attr-defined]
    yield
    storages._storages = {}
    default_storage._wrapped = empty  # type: ignore[attr-defined]
