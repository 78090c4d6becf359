"""Video: transcode to H.264/AAC MP4 (faststart) at up to 1080p, and pick a poster frame.

PyAV's wheel bundles FFmpeg with the libx264 encoder and FFmpeg's native AAC encoder, so this
needs nothing beyond ``pip install``. Phone videos store portrait footage as rotated landscape
with a display matrix; frames are turned upright here because the MP4 is written without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import numpy as np
from django.conf import settings
from PIL import Image

from bridgenote.media.errors import MediaError

MAX_FPS = Fraction(60)
POSTER_AT_SECONDS = 1.0


@dataclass
class VideoResult:
    width: int
    height: int
    duration: float
    poster: Image.Image


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def output_size(width: int, height: int) -> tuple[int, int]:
    """The output size: shorter side at most VIDEO_MAX_SHORT_SIDE, even dimensions."""
    scale = min(1.0, settings.VIDEO_MAX_SHORT_SIDE / min(width, height))
    return _even(width * scale), _even(height * scale)


def _upright(frame: av.VideoFrame, rotation: int) -> av.VideoFrame:
    """Apply the display matrix (``rotation`` degrees counterclockwise) to the pixels."""
    quarter_turns = round(rotation / 90) % 4
    if quarter_turns == 0:
        return frame
    pixels: Any = np.rot90(frame.to_ndarray(format="rgb24"), k=quarter_turns)
    rotated = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
    rotated.pts, rotated.time_base = frame.pts, frame.time_base
    return rotated


def transcode(source: str, destination: str) -> VideoResult:
    """Write ``source`` as an MP4 at ``destination``; ``MediaError`` if it cannot be read."""
    try:
        return _transcode(source, destination)
    except MediaError:
        raise
    except (av.error.FFmpegError, ValueError, StopIteration, ZeroDivisionError):
        raise MediaError("corrupt_video") from None


def _first_frame(source: str) -> av.VideoFrame:
    with av.open(source) as peek:
        if not peek.streams.video:
            raise MediaError("video_no_picture")
        frame = next(peek.decode(video=0), None)
    if frame is None:
        raise MediaError("corrupt_video")
    return frame


def _transcode(source: str, destination: str) -> VideoResult:
    # The output streams must all exist before the first packet is written, and the upright
    # size depends on the display matrix, which only decoded frames report: peek first.
    first = _first_frame(source)
    rotation = first.rotation
    upright_size = (first.width, first.height)
    if round(rotation / 90) % 2:
        upright_size = (first.height, first.width)
    width, height = output_size(*upright_size)
    with av.open(source) as inp:
        vin = inp.streams.video[0]
        vin.thread_type = "AUTO"
        ain = inp.streams.audio[0] if inp.streams.audio else None
        time_base = vin.time_base or Fraction(1, 90000)
        with av.open(destination, "w", format="mp4", options={"movflags": "+faststart"}) as out:
            rate = vin.average_rate or vin.guessed_rate or Fraction(30)
            vout = out.add_stream("libx264", rate=min(Fraction(rate), MAX_FPS))
            vout.width, vout.height, vout.pix_fmt = width, height, "yuv420p"
            vout.time_base = time_base
            vout.codec_context.time_base = time_base
            vout.options = {
                "preset": settings.VIDEO_X264_PRESET,
                "crf": str(settings.VIDEO_X264_CRF),
                "profile": "high",
            }
            aout = resampler = None
            if ain is not None:
                aout = out.add_stream("aac", rate=48000)
                aout.codec_context.layout = "stereo"
                aout.codec_context.bit_rate = 128_000
                resampler = av.AudioResampler(format="fltp", layout="stereo", rate=48000)
            state: dict[str, Any] = {"poster": None, "poster_time": 0.0, "last": None,
                                     "first": None, "size": (width, height)}  # fmt: skip
            streams = [vin] + ([ain] if ain is not None else [])
            for packet in inp.demux(*streams):
                if packet.stream is vin:
                    for frame in packet.decode():
                        if isinstance(frame, av.VideoFrame):
                            _encode_video(out, vout, frame, rotation, time_base, state)
                elif aout is not None and resampler is not None:
                    for frame in packet.decode():
                        if not isinstance(frame, av.AudioFrame):
                            continue
                        frame.pts = None
                        for resampled in resampler.resample(frame):
                            out.mux(aout.encode(resampled))
            if state["poster"] is None:
                raise MediaError("corrupt_video")
            out.mux(vout.encode(None))
            if aout is not None and resampler is not None:
                for resampled in resampler.resample(None):
                    out.mux(aout.encode(resampled))
                out.mux(aout.encode(None))
        duration = float(state["last"] * time_base)
        if inp.duration is not None:
            duration = max(duration, inp.duration / av.time_base)
    poster = state["poster"].to_image()
    return VideoResult(width=width, height=height, duration=duration, poster=poster)


def _encode_video(
    out: Any,
    vout: Any,
    frame: av.VideoFrame,
    rotation: int,
    time_base: Fraction,
    state: dict[str, Any],
) -> None:
    upright = _upright(frame, rotation)
    if state["first"] is None:
        state["first"] = frame.pts or 0
    pts = frame.pts if frame.pts is not None else state["first"] + (state["last"] or 0) + 1
    pts -= state["first"]
    if state["last"] is not None and pts <= state["last"]:
        pts = state["last"] + 1  # keep timestamps strictly increasing
    seconds = float(pts * time_base)
    if seconds > settings.VIDEO_MAX_SECONDS + 1:
        raise MediaError("video_too_long")
    if state["poster"] is None or seconds <= POSTER_AT_SECONDS:
        # Keep the frame (a reference, not a copy); it becomes a picture once, at the end.
        state["poster"], state["poster_time"] = upright, seconds
    width, height = state["size"]
    scaled = upright.reformat(width=width, height=height, format="yuv420p")
    scaled.pts, scaled.time_base = pts, time_base
    state["last"] = pts
    out.mux(vout.encode(scaled))
