"""Notes benchmark (a script, not a test). Run from the repository root:

    /work/main/.venv/bin/python bench/notes_bench.py [--notes 200] [--rounds 50]

In a fresh data directory (SQLite), with ``--notes`` published notes of three ready photos
each spread over a few authors and topics, measures through the Django test client:
1. POST /api/notes/ (create and publish a note with three ready photos and two topics);
2. GET /notes/<id>/ (the note page: gallery, linked text, placeholders);
3. GET /topics/<name>/ (a page of 20 cards);
4. GET /@<handle> (a profile with its notes grid, 20 cards);
each against GET /api/ping, the floor. Prints p50/p99 in milliseconds. (Query counts are
bounded by tests/notes/test_views.py::test_topic_page_and_grid_queries_do_not_grow_with_notes.)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(data_dir: str) -> None:
    os.environ.setdefault("BRIDGENOTE_DEBUG", "1")
    os.environ.setdefault("BRIDGENOTE_LOG_LEVEL", "WARNING")
    os.environ["BRIDGENOTE_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "bridgenote.conf.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)


def ready_photo(owner: Any) -> Any:
    from bridgenote.media.models import Attachment

    return Attachment.objects.create(
        owner=owner,
        kind="image",
        state="ready",
        width=1080,
        height=1440,
        blurhash="LEHV6nWB2yk8pyo0adR*.7kCMdnj",
        renditions={
            "card": {"name": "bench/card.webp", "width": 540, "height": 720, "mime": "image/webp"},
            "large": {"name": "bench/large.webp", "width": 1080, "height": 1440, "mime": "x"},
        },
    )


def timed(client: Any, rounds: int, call: Any) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = call(client)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code in (200, 201), response.status_code
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    setup_django(tempfile.mkdtemp(prefix="bridgenote-notes-bench-"))

    from django.conf import settings
    from django.test import Client

    from bridgenote.accounts.models import Profile, User
    from bridgenote.notes.services import note_create

    settings.ALLOWED_HOSTS = ["*"]
    settings.NOTES_PER_HOUR = 10**6
    authors = []
    for handle in ("ava", "liwei", "mia", "jake"):
        user = User.objects.create_user(handle)
        Profile.objects.create(user=user, display_name=handle)
        authors.append(user)
    topics = ["#selfie", "#自拍#", "#旅行vlog", "#咖啡"]
    last = None
    for i in range(args.notes):
        author = authors[i % len(authors)]
        last = note_create(
            author=author,
            title=f"Note {i} 笔记",
            body=f"Hello 你好 @liwei {topics[i % 4]} {topics[(i + 1) % 4]}",
            attachment_ids=[ready_photo(author).id for _ in range(3)],
        )
    assert last is not None
    client = Client()
    client.force_login(authors[0])

    def create(c: Client) -> Any:
        ids = [ready_photo(authors[0]).id for _ in range(3)]
        payload = {"title": "Bench 测试", "body": "#selfie #自拍# hi", "attachment_ids": ids}
        return c.post("/api/notes/", json.dumps(payload), content_type="application/json")

    cases = [
        ("GET /api/ping (floor)", lambda c: c.get("/api/ping")),
        ("POST /api/notes/ (3 photos)", create),
        ("GET /notes/<id>/", lambda c: c.get(f"/notes/{last.id}/")),
        ("GET /topics/selfie/", lambda c: c.get("/topics/selfie/")),
        ("GET /@liwei (grid)", lambda c: c.get("/@liwei")),
    ]
    print(f"{args.notes} notes, {args.rounds} rounds, SQLite, one process")
    for name, call in cases:
        call(client)  # warm up
        p50, p99 = timed(client, args.rounds, call)
        print(f"{name:32} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")


if __name__ == "__main__":
    main()
