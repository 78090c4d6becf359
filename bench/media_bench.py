"""Media pipeline benchmark (a script, not a test). Run from the repository root:

    /work/main/.venv/bin/python bench/media_bench.py [--uploads 60] [--images 10]

Measures, each beside a reference taken in the same run on the same machine:
1. upload request latency (POST /api/media/ through the Django test client, 12 MP JPEGs,
   processing queued in the database queue, not run) against GET /api/ping, the floor;
2. one 12 MP JPEG to all its renditions on one CPU core (``images.render_image``) against a
   plain Pillow pipeline (full decode, resize to the detail width, WebP save);
3. peak RSS (VmHWM) of the real ``bridgenote worker`` process while it processes the queued
   photos (12 MP JPEG, PNG, HEIC), against the same process idle after start-up; then the
   same after it transcodes a 1080p H.264/AAC video generated on the spot.
Targets (issue 3): upload p99 < 300 ms, 12 MP JPEG < 400 ms, worker RSS < 300 MB.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(data_dir: str) -> None:
    os.environ.setdefault("BRIDGENOTE_DEBUG", "1")
    os.environ.setdefault("BRIDGENOTE_LOG_LEVEL", "WARNING")
    os.environ["BRIDGENOTE_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "bridgenote.conf.settings"
    import django
    from django.conf import settings

    django.setup()
    # The real queue (django-tasks-db) is used; no worker runs, so the request is measured
    # alone and the uploaded rows wait for the worker benchmark.
    settings.MEDIA_UPLOADS_PER_HOUR = 1_000_000


def twelve_megapixel_jpeg(seed: int = 0, orientation: int = 6) -> bytes:
    """4000x3000 with smooth shapes and grain: compresses like a phone photo (about 3 MB)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)
    image = Image.fromarray(base, "RGB").resize((4000, 3000), Image.Resampling.BICUBIC)
    grain = Image.effect_noise((4000, 3000), 12).convert("RGB")
    image = Image.blend(image, grain, 0.15)
    exif = Image.Exif()
    exif[0x0112] = orientation  # 6: a portrait photo stored rotated, as phones write it
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def bench_upload(count: int, photo: bytes) -> dict[str, float]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client

    from bridgenote.accounts.models import User

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    user, _ = User.objects.get_or_create(handle="benchava")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    floor, upload, upload_cpu = [], [], []
    for _ in range(5):  # warm up imports and connections
        client.get("/api/ping")
    for index in range(count):
        started = time.perf_counter()
        response = client.get("/api/ping")
        floor.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        file = SimpleUploadedFile(f"IMG_{index}.jpg", photo, content_type="image/jpeg")
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.post("/api/media/", {"file": file})
        upload.append((time.perf_counter() - started) * 1000)
        upload_cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 202, response.content
    return {
        "upload_p50_ms": statistics.median(upload),
        "upload_p99_ms": percentile(upload, 99),
        "upload_cpu_p50_ms": statistics.median(upload_cpu),
        "upload_cpu_p99_ms": percentile(upload_cpu, 99),
        "ping_p99_ms": percentile(floor, 99),
        "upload_p99_ratio_to_ping": percentile(upload, 99) / percentile(floor, 99),
    }


def bench_render(photo: bytes, repeats: int) -> dict[str, float]:
    from django.conf import settings
    from PIL import Image, ImageOps

    from bridgenote.media.images import render_image

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    def ours() -> None:
        render_image(io.BytesIO(photo))

    def reference() -> None:
        image = Image.open(io.BytesIO(photo))
        image.load()
        image = ImageOps.exif_transpose(image) or image
        width = settings.MEDIA_LARGE_WIDTH
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
        image.save(io.BytesIO(), "WEBP", quality=settings.MEDIA_WEBP_QUALITY)

    def avif_large() -> None:
        image = Image.new("RGB", (1440, 1080))
        image.paste(Image.open(io.BytesIO(photo)).resize((1440, 1080)))
        started = time.perf_counter()
        image.save(io.BytesIO(), "AVIF", quality=60, speed=8)
        timings["avif"].append((time.perf_counter() - started) * 1000)

    timings: dict[str, list[float]] = {"ours": [], "reference": [], "avif": []}
    cpu: dict[str, list[float]] = {"ours": [], "reference": []}
    ours(), reference()  # warm up
    for _ in range(repeats):
        for name, function in (("ours", ours), ("reference", reference)):
            started, started_cpu = time.perf_counter(), time.process_time()
            function()
            timings[name].append((time.perf_counter() - started) * 1000)
            cpu[name].append((time.process_time() - started_cpu) * 1000)
    for _ in range(2):
        avif_large()
    ours_cpu, reference_cpu = statistics.median(cpu["ours"]), statistics.median(cpu["reference"])
    return {
        "render_12mp_cpu_median_ms": ours_cpu,
        "render_12mp_cpu_max_ms": max(cpu["ours"]),
        "render_12mp_wall_median_ms": statistics.median(timings["ours"]),
        "reference_plain_pillow_cpu_median_ms": reference_cpu,
        "reference_plain_pillow_wall_median_ms": statistics.median(timings["reference"]),
        "render_cpu_ratio_to_reference": ours_cpu / reference_cpu,
        "avif_1440_encode_wall_median_ms": statistics.median(timings["avif"]),
    }


def phone_video(seconds: int = 5, size: tuple[int, int] = (1920, 1080), fps: int = 30) -> bytes:
    """A 1080p clip with moving shapes and grain and a stereo tone, encoded like a phone would
    (H.264 + AAC in MP4; x264 ultrafast here only to make it quickly)."""
    from fractions import Fraction

    import av
    import numpy as np

    buffer = io.BytesIO()
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 40, (size[1], size[0]), dtype=np.uint8)
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "20"}
        sound = out.add_stream("aac", rate=48000)
        sound.codec_context.layout = "stereo"
        for index in range(seconds * fps):
            pixels = np.zeros((size[1], size[0], 3), dtype=np.uint8)
            x = (index * 24) % size[0]
            pixels[:, :, 0] = np.roll(noise, index * 7, axis=1)
            pixels[:, max(0, x - 200) : x, 1] = 220
            pixels[size[1] // 3 : size[1] // 2, :, 2] = (index * 5) % 255
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
        samples = np.sin(np.arange(seconds * 48000) * 2 * np.pi * 440 / 48000) * 0.2
        size_ = sound.codec_context.frame_size or 1024
        for begin in range(0, len(samples) - size_, size_):
            chunk = np.tile(samples[begin : begin + size_].astype(np.float32), (2, 1))
            aframe = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            aframe.sample_rate, aframe.pts = 48000, begin
            out.mux(sound.encode(aframe))
        out.mux(sound.encode(None))
    return buffer.getvalue()


def _status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS) of a process in MB. VmHWM, not ru_maxrss: Linux carries
    ru_maxrss over from the forking parent across exec."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                values[line.split(":")[0]] = int(line.split()[1]) / 1024
    return values


def _wait_settled(timeout: float = 1800) -> float:
    """Wait until no attachment is uploaded or processing; the seconds it took."""
    from bridgenote.media.models import Attachment

    started = time.perf_counter()
    while Attachment.objects.filter(state__in=["uploaded", "processing"]).exists():
        if time.perf_counter() - started > timeout:
            raise TimeoutError("the worker did not finish")
        time.sleep(0.5)
    failed = list(Attachment.objects.filter(state="failed").values_list("id", "error"))
    assert not failed, failed
    return time.perf_counter() - started


def bench_worker(data_dir: str, extra_images: int, video_seconds: int) -> dict[str, float]:
    """The real ``bridgenote worker`` process (the command operators run) over the queued
    photos (the upload benchmark's 12 MP JPEGs, plus 12 MP PNGs and HEICs), then a 1080p
    video. Peak RSS read from /proc/<pid>/status, against the same process idle after start."""
    import pillow_heif
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult
    from PIL import Image

    from bridgenote.accounts.models import User
    from bridgenote.media.models import Attachment
    from bridgenote.media.services import attachment_upload

    pillow_heif.register_heif_opener()
    user = User.objects.get(handle="benchava")
    big = Image.open(io.BytesIO(twelve_megapixel_jpeg(seed=1)))
    for fmt, name in (("PNG", "screen.png"), ("HEIF", "IMG.HEIC")):
        buffer = io.BytesIO()
        big.save(buffer, fmt, **({"quality": 80} if fmt == "HEIF" else {}))
        for _ in range(extra_images):
            attachment_upload(owner=user, file=SimpleUploadedFile(name, buffer.getvalue()))
    photos = Attachment.objects.filter(state="uploaded").count()
    # Hold the queued jobs so the worker's idle size can be read first.
    later = timezone.now() + timedelta(days=1)
    DBTaskResult.objects.filter(status="READY").update(run_after=later)
    env = {**os.environ, "BRIDGENOTE_DATA_DIR": data_dir, "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen(  # the command `bridgenote worker` runs
        [sys.executable, "-m", "bridgenote.cli", "worker", "--no-reload", "--no-scheduler",
         "--interval", "0.2", "-v0"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        time.sleep(15)  # started and polling an (apparently) empty queue
        idle = _status(worker.pid)
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        photo_seconds = _wait_settled()
        after_photos = _status(worker.pid)
        clip = phone_video(seconds=video_seconds)
        attachment_upload(owner=user, file=SimpleUploadedFile("VID_1080.mp4", clip))
        video_seconds_taken = _wait_settled()
        after_video = _status(worker.pid)
        processed = Attachment.objects.filter(state="ready", kind="video").first()
        assert processed is not None and (processed.width, processed.height) == (1920, 1080)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return {
        "worker_idle_mb": idle["VmRSS"],
        "worker_photos": photos,
        "worker_photo_mean_wall_ms": photo_seconds * 1000 / photos,
        "worker_peak_after_photos_mb": after_photos["VmHWM"],
        "worker_peak_ratio_to_idle": after_photos["VmHWM"] / idle["VmRSS"],
        "video_1080p_bytes": len(clip),
        "video_1080p_transcode_wall_s": video_seconds_taken,
        "worker_peak_after_1080p_video_mb": after_video["VmHWM"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--images", type=int, default=2, help="PNG and HEIC photos each")
    parser.add_argument("--video-seconds", type=int, default=5, help="length of the 1080p clip")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bridgenote-bench-") as data_dir:
        setup_django(data_dir)
        photo = twelve_megapixel_jpeg()
        results: dict[str, object] = {
            "cpu": os.cpu_count(),
            "photo_bytes": len(photo),
            "load_average_1min": os.getloadavg()[0],
        }
        results.update(bench_upload(args.uploads, photo))
        results.update(bench_worker(data_dir, args.images, args.video_seconds))
        results.update(bench_render(photo, args.repeats))
        landscape = bench_render(twelve_megapixel_jpeg(orientation=1), args.repeats)
        results["landscape_render_12mp_cpu_median_ms"] = landscape["render_12mp_cpu_median_ms"]
        results["landscape_cpu_ratio_to_reference"] = landscape["render_cpu_ratio_to_reference"]
    for key, value in results.items():
        print(f"{key:36} {value:.2f}" if isinstance(value, float) else f"{key:36} {value}")
    targets = [
        ("upload p99 < 300 ms", float(results["upload_p99_ms"]) < 300),  # type: ignore[arg-type]
        ("12 MP JPEG < 400 ms (CPU, one core)", float(results["render_12mp_cpu_median_ms"]) < 400),  # type: ignore[arg-type]
        ("worker peak RSS < 300 MB (photos)", float(results["worker_peak_after_photos_mb"]) < 300),  # type: ignore[arg-type]
    ]
    for label, met in targets:
        print(f"{'met' if met else 'MISSED':6} {label}")


if __name__ == "__main__":
    main()
