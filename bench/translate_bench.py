"""Translation benchmark: cached translations, pinyin and glosses, against references
measured in the same run.

    BRIDGENOTE_DATA_DIR=/tmp/translate-bench python bench/translate_bench.py
    BRIDGENOTE_DATA_DIR=/tmp/translate-bench BRIDGENOTE_CACHE_URL=redis://127.0.0.1:6379/5 \
        python bench/translate_bench.py

Production settings (DEBUG off, the embedded default database cache unless
BRIDGENOTE_CACHE_URL is set). The provider is the fake OpenAI-compatible server of the test
suite on 127.0.0.1, so the first (uncached) call is real HTTP; every later call must be served
from the cache. Requests go through the Django test client. Targets (issue 6): a cached
translation p99 <= 20 ms; pinyin and glosses of a 1,000-character note < 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.translate.fakes import FakeTranslator  # noqa: E402

FAKE = FakeTranslator().start()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bridgenote.conf.settings")
os.environ.setdefault("BRIDGENOTE_DEBUG", "0")
os.environ.setdefault("BRIDGENOTE_SECRET_KEY", "translate-benchmark-only-not-a-real-secret-key")
os.environ["BRIDGENOTE_TRANSLATE_PROVIDER"] = "openai"
os.environ["BRIDGENOTE_TRANSLATE_URL"] = FAKE.url + "/v1"
os.environ["BRIDGENOTE_TRANSLATE_MODEL"] = "fake-llm"
os.environ.setdefault("BRIDGENOTE_TRANSLATE_RATE_PER_HOUR", "100000000")

# A Chinese note with English words, emoji, a mention and a topic: the shape of real notes.
NOTE = ("今天天气很好，我们去公园散步吧。lol 你的 nose-stud 好酷 😎 @ava #selfie 我想喝咖啡\n") * 4
PARAGRAPH = (
    "周末和朋友去成都的一家小众咖啡店，拿铁真的很好喝，甜品也不错。店里的环境很安静，"
    "适合看书和聊天。我们还去了附近的公园散步，秋天的银杏叶特别好看，拍了很多照片。"
    "晚上吃了火锅，有点辣但是非常好吃。下次还想再来，推荐给大家！"
)


def timed(call: Callable[[], Any], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 3),
        "max_ms": round(ordered[-1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.template.loader import render_to_string
    from django.test import Client
    from pypinyin import Style, lazy_pinyin

    from bridgenote.accounts.models import Profile, User
    from bridgenote.translate import dictionary

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    from django.core.cache import cache

    from bridgenote.translate.models import Translation

    Translation.objects.all().delete()  # the first call below must reach the provider
    cache.clear()
    user = User.objects.filter(handle="translate_bench").first()
    if user is None:
        user = User.objects.create_user("translate_bench", None)
        Profile.objects.create(user=user, display_name="bench")
    Profile.objects.filter(user=user).update(bio=NOTE[:400])
    from bridgenote.notes.models import Note

    note = Note.objects.create(
        author=user, title="", body=NOTE[:400], status="published", media_ready=True
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    anonymous = Client(HTTP_HOST="127.0.0.1")
    note_1000 = (PARAGRAPH * 10)[:1000]

    def ping() -> None:
        assert client.get("/api/ping").status_code == 200

    def signed_in_floor() -> None:
        # Session + user lookup + one small query: what any signed-in request pays.
        assert client.get("/api/translate/words").status_code == 200

    def cached_text() -> None:
        response = client.post(
            "/api/translate/text", {"text": NOTE, "target": "en"}, content_type="application/json"
        )
        assert response.status_code == 200 and response.json()["cached"], response.content

    def cached_object() -> None:
        response = client.post(
            f"/translate/o/bio/{user.pk}/bio/", {"target": "en"}, HTTP_HX_REQUEST="true"
        )
        assert b"Machine translation by" in response.content

    def cached_note() -> None:
        # The note page's button: the note's visibility is checked for the viewer each time.
        response = client.post(
            f"/translate/o/note/{note.pk}/body/", {"target": "en"}, HTTP_HX_REQUEST="true"
        )
        assert b"Machine translation by" in response.content

    def cached_object_signed_out() -> None:
        response = anonymous.post(
            f"/translate/o/bio/{user.pk}/bio/", {"target": "en"}, HTTP_HX_REQUEST="true"
        )
        assert b"Machine translation by" in response.content

    # The first call of each is a real (fake-provider) translation; the rest come from cache.
    first = timed(
        lambda: client.post(
            "/api/translate/text", {"text": NOTE, "target": "en"}, content_type="application/json"
        ),
        1,
    )
    client.post(f"/translate/o/bio/{user.pk}/bio/", {"target": "en"}, HTTP_HX_REQUEST="true")
    all_calls = (ping, signed_in_floor, cached_text, cached_object, cached_note)
    for call in (*all_calls, cached_object_signed_out):
        timed(call, 20)  # warm-up

    dictionary.cedict()  # loaded once per process (about a second), not per request
    results: dict[str, Any] = {
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "runs": args.runs,
        "uncached_first_translation_ms": round(first[0], 1),
        "provider_calls": len(FAKE.requests),
    }
    results["ping"] = summary(timed(ping, args.runs))
    results["signed_in_floor"] = summary(timed(signed_in_floor, args.runs))
    results["cached_translation_api"] = summary(timed(cached_text, args.runs))
    results["cached_translation_partial"] = summary(timed(cached_object, args.runs))
    results["cached_translation_note_partial"] = summary(timed(cached_note, args.runs))
    results["cached_translation_partial_signed_out"] = summary(
        timed(cached_object_signed_out, args.runs)
    )
    assert len(FAKE.requests) == results["provider_calls"], "a cached call reached the provider"

    # The note resolver's visibility check alone, for a signed-in reader who is not the
    # author: the full queryset (what it used to run) against the one-note check it runs now.
    from bridgenote.notes.queries import visible_note

    reader = User.objects.filter(handle="translate_bench_reader").first()
    if reader is None:
        reader = User.objects.create_user("translate_bench_reader", None)
    assert visible_note(note.pk, reader) is not None
    results["visibility_queryset"] = summary(
        timed(lambda: Note.objects.visible_to(reader).filter(pk=note.pk).first(), args.runs)
    )
    results["visibility_one_note"] = summary(
        timed(lambda: visible_note(note.pk, reader), args.runs)
    )
    for key in ("p50_ms", "p99_ms"):
        results["visibility_one_note"][key.replace("_ms", "_vs_queryset")] = round(
            results["visibility_one_note"][key] / results["visibility_queryset"][key], 2
        )

    # Pinyin and glosses of a 1,000-character note: cold (no word seen yet in this process)
    # and warm, and rendered as ruby HTML; reference: one plain pypinyin call on the same text.
    def annotate_cold() -> None:
        dictionary._word.cache_clear()
        dictionary.annotate(note_1000)

    def annotate_render() -> None:
        render_to_string("translate/_ruby.html", {"tokens": dictionary.annotate(note_1000)})

    def annotate_api() -> None:
        response = client.post(
            "/api/translate/annotate", {"text": note_1000}, content_type="application/json"
        )
        assert response.status_code == 200

    lazy_pinyin(note_1000, style=Style.TONE)
    results["reference_pypinyin_1000"] = summary(
        timed(lambda: lazy_pinyin(note_1000, style=Style.TONE), 100)
    )
    results["annotate_1000_cold"] = summary(timed(annotate_cold, 50))
    results["annotate_1000_warm"] = summary(timed(lambda: dictionary.annotate(note_1000), 100))
    results["annotate_1000_ruby_html"] = summary(timed(annotate_render, 100))
    results["annotate_1000_api"] = summary(timed(annotate_api, 100))

    ping_p99 = results["ping"]["p99_ms"]
    ref_p50 = results["reference_pypinyin_1000"]["p50_ms"]
    floor_p99 = results["signed_in_floor"]["p99_ms"]
    cached_keys = (
        "cached_translation_api",
        "cached_translation_partial",
        "cached_translation_note_partial",
        "cached_translation_partial_signed_out",
    )
    for key in cached_keys:
        results[key]["p50_vs_ping_p50"] = round(
            results[key]["p50_ms"] / results["ping"]["p50_ms"], 2
        )
        results[key]["p99_vs_ping_p99"] = round(results[key]["p99_ms"] / ping_p99, 2)
        results[key]["p99_vs_signed_in_floor_p99"] = round(results[key]["p99_ms"] / floor_p99, 2)
    for key in ("annotate_1000_cold", "annotate_1000_warm", "annotate_1000_ruby_html"):
        results[key]["p50_vs_pypinyin"] = round(results[key]["p50_ms"] / ref_p50, 2)
    results["annotate_1000_api"]["p99_vs_ping_p99"] = round(
        results["annotate_1000_api"]["p99_ms"] / ping_p99, 2
    )
    results["targets_met"] = {
        "cached_translation_p99_le_20ms": max(results[key]["p99_ms"] for key in cached_keys) <= 20,
        "pinyin_and_gloss_1000_lt_50ms": results["annotate_1000_api"]["p99_ms"] < 50,
    }
    print(json.dumps(results, indent=2, ensure_ascii=False))
    FAKE.stop()


if __name__ == "__main__":
    main()
