"""Benchmark: scanning short notes against 10,000 keyword rules, normalisation included.

    /work/main/.venv/bin/python bench/moderation_bench.py [--notes 50000] [--rules 10000]
    /work/main/.venv/bin/python bench/moderation_bench.py --rescan 20000 [--workers 2]  (rescan)
    /work/main/.venv/bin/python bench/moderation_bench.py --export-rules rules.jsonl
    /work/main/.venv/bin/python bench/moderation_bench.py --rescan-existing  (a real dataset,
        with `bridgenote worker` processes running; see docs/moderation.md)

Prints notes per second for, on the same texts in the same run:
  - reference A: ``text.lower()`` then the automaton alone (no normalisation, no spans),
    and the same with pyahocorasick when it is installed;
  - reference B: ``text.lower()`` and ``term in text`` for every rule (the naive loop),
    measured on a sample because it is thousands of times slower;
  - normalise only (``normalize``);
  - ``Matcher.scan`` (normalise, automaton, pinyin automaton, resolve spans for hits);
  - ``Matcher.scan_many`` over batches of ``--batch`` texts (what the rescan job does): the
    same results (checked), one normalisation and one automaton call per batch.
The target is >= 100,000 short notes per second per core for ``Matcher.scan``. Rates are
CPU time of this process (``time.process_time``), so a busy machine does not skew them much.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bridgenote.moderation.normalize import normalize
from bridgenote.moderation.rules import compile_rules

# Common characters and words of lifestyle notes.
HAN = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说"
    "产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点"
    "从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原"
    "又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革"
    "位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强"
    "放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交"
    "受联什认六共权收证改清美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离"
    "华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复"
    "容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值"
    "号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参"
    "红细引听该铁价严龙飞咖啡火锅穿搭旅行美食护肤攻略探店日常分享宝藏好物推荐成都上海北京周末早午餐"
)
WORDS = [
    "the",
    "and",
    "for",
    "with",
    "this",
    "that",
    "you",
    "are",
    "was",
    "have",
    "from",
    "they",
    "will",
    "one",
    "all",
    "would",
    "there",
    "their",
    "what",
    "about",
    "which",
    "when",
    "make",
    "like",
    "time",
    "just",
    "know",
    "take",
    "people",
    "into",
    "year",
    "your",
    "good",
    "some",
    "could",
    "them",
    "see",
    "other",
    "than",
    "then",
    "now",
    "look",
    "only",
    "come",
    "its",
    "over",
    "think",
    "also",
    "back",
    "after",
    "use",
    "two",
    "how",
    "our",
    "work",
    "first",
    "well",
    "way",
    "even",
    "new",
    "want",
    "because",
    "any",
    "these",
    "give",
    "day",
    "most",
    "us",
    "coffee",
    "brunch",
    "hotpot",
    "outfit",
    "travel",
    "skincare",
    "review",
    "sunset",
    "weekend",
    "hike",
    "market",
    "recipe",
    "photo",
    "city",
    "trip",
    "cafe",
    "noodles",
    "tea",
    "vintage",
    "style",
    "cozy",
    "lovely",
    "amazing",
    "recommend",
    "shop",
    "try",
    "best",
    "love",
    "place",
    "must",
    "visit",
    "friends",
]


def make_rules(count: int, rng: random.Random, pinyin: int = 20) -> list[dict[str, object]]:
    rules: list[dict[str, object]] = []
    seen: set[str] = set()
    starter = Path(__file__).resolve().parent.parent / "bridgenote/moderation/data/starter.jsonl"
    import json

    for line in starter.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if "term" in row and row["term"] not in seen:
            seen.add(row["term"])
            rules.append({"id": len(rules) + 1, **row})
    while len(rules) < count:
        kind = rng.random()
        if kind < 0.5:
            term = "".join(rng.choice(HAN) for _ in range(rng.randint(3, 5)))
        elif kind < 0.8:
            term = "".join(
                rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(5, 9))
            )
        else:
            term = (
                " ".join(rng.choice(WORDS) for _ in range(2))
                + " "
                + rng.choice(["deal", "now", "vx", "dm"])
            )
        if term in seen:
            continue
        seen.add(term)
        rules.append({"id": len(rules) + 1, "term": term, "languages": [], "category": "spam",
                      "action": rng.choice(["mask", "hold", "limit", "refuse"]),
                      "pinyin": False})  # fmt: skip
    zh = [r for r in rules if str(r["term"])[0] >= "\u4e00" and len(str(r["term"])) <= 5]
    for rule in rng.sample(zh, min(pinyin, len(zh))):
        rule["pinyin"] = True
    return rules


def make_notes(count: int, rng: random.Random, rules: list[dict[str, object]]) -> list[str]:
    notes = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.45:
            text = "".join(rng.choice(HAN) for _ in range(rng.randint(15, 80)))
            text = "，".join(text[i : i + 12] for i in range(0, len(text), 12)) + "！"
        elif kind < 0.85:
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 25))).capitalize() + "."
        else:
            text = (
                "".join(rng.choice(HAN) for _ in range(rng.randint(8, 30))) + " "
                + " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8))) + " 🌸"
            )  # fmt: skip
        if rng.random() < 0.02:  # a few notes contain a rule term
            text += " " + str(rng.choice(rules)["term"])
        notes.append(text)
    return notes


def rate(fn, notes: list[str], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()  # CPU time: per core, whatever else the machine runs
        fn(notes)
        best = min(best, time.process_time() - start)
    return len(notes) / best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notes", type=int, default=50_000)
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument(
        "--pinyin-rules", type=int, default=20, help="rules that also match homophones"
    )
    parser.add_argument(
        "--batch", type=int, default=1000, help="texts per scan_many call (the rescan batch)"
    )
    args = parser.parse_args()
    rng = random.Random(20261121)
    rules = make_rules(args.rules, rng, args.pinyin_rules)
    start = time.perf_counter()
    matcher = compile_rules(rules, ["乳腺检查", "乳酪蛋糕"])
    build = time.perf_counter() - start
    notes = make_notes(args.notes, rng, rules)
    chars = sum(map(len, notes)) / len(notes)
    for text in notes[:2000]:  # warm the lazily filled translate tables
        matcher.scan(text)
    assert matcher.exact is not None
    engine = matcher.exact.engine

    def automaton_only(texts: list[str]) -> None:
        for text in texts:
            engine.find_matches_as_indexes(text.lower(), overlapping=True)

    try:
        import ahocorasick  # pyahocorasick, for comparison only
    except ImportError:
        ahocorasick = None
    pya = None
    if ahocorasick is not None:
        pya = ahocorasick.Automaton()
        for rule in matcher.rules:
            pya.add_word(rule.normalized, rule.id)
        pya.make_automaton()

    def pyahocorasick_only(texts: list[str]) -> None:
        for text in texts:
            for _ in pya.iter(text.lower()):
                pass

    terms = [str(r["term"]).lower() for r in rules]

    def naive(texts: list[str]) -> None:
        for text in texts:
            lowered = text.lower()
            for term in terms:
                if term in lowered:
                    pass

    def normalize_only(texts: list[str]) -> None:
        for text in texts:
            normalize(text)

    def scan(texts: list[str]) -> None:
        for text in texts:
            matcher.scan(text)

    def scan_batched(texts: list[str]) -> None:
        for i in range(0, len(texts), batch):
            matcher.scan_many(texts[i : i + batch])

    batch = args.batch
    one_by_one = [matcher.scan(text) for text in notes]
    assert matcher.scan_many(notes) == one_by_one, "scan_many differs from scan"
    flagged = sum(1 for result in one_by_one if result.matches)
    ref_a = rate(automaton_only, notes)
    ref_p = rate(pyahocorasick_only, notes) if pya is not None else 0.0
    ref_b = rate(naive, notes[:300], repeat=1)
    norm = rate(normalize_only, notes)
    full = rate(scan, notes)
    many = rate(scan_batched, notes)
    print(f"rules: {len(rules)}, {args.pinyin_rules} of them also by pinyin "
          f"(matcher built in {build:.2f} s); notes: {len(notes)}, "
          f"{chars:.0f} characters on average; {flagged} flagged")  # fmt: skip
    print(f"reference A  lower() + automaton only : {ref_a:>10,.0f} notes/s (ahocorasick_rs)")
    if pya is not None:
        print(f"             lower() + pyahocorasick  : {ref_p:>10,.0f} notes/s (for comparison)")
    print(f"reference B  lower() + `in` per rule  : {ref_b:>10,.0f} notes/s")
    print(f"normalize() only                      : {norm:>10,.0f} notes/s")
    print(f"Matcher.scan (normalise + match)      : {full:>10,.0f} notes/s "
          f"= {full / ref_a:.2f} x reference A, {full / ref_b:,.0f} x reference B")  # fmt: skip
    print(f"Matcher.scan_many, batches of {batch:<5}: {many:>10,.0f} notes/s "
          f"= {many / ref_a:.2f} x reference A, {many / ref_b:,.0f} x reference B")  # fmt: skip
    best = max(full, many)
    print("target >= 100,000 notes/s per core:", "met" if best >= 100_000 else "NOT met")


def rescan_bench(count: int, workers: int = 1) -> None:
    """Rows per second of the rescan job, on a fresh SQLite database in a temporary folder
    (or BRIDGENOTE_DATABASE_URL when set): ``count`` published notes, 10,000 rules."""
    import os
    import tempfile

    os.environ.setdefault("BRIDGENOTE_DATA_DIR", tempfile.mkdtemp(prefix="moderation-bench-"))
    os.environ.setdefault("BRIDGENOTE_SECRET_KEY", "bench-only-secret-key-not-for-production")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bridgenote.conf.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from bridgenote.accounts.models import User
    from bridgenote.moderation import rulesets, services
    from bridgenote.moderation.models import KeywordRule
    from bridgenote.notes.models import Note

    call_command("migrate", verbosity=0)
    rng = random.Random(7)
    rules = make_rules(10_000, rng)
    KeywordRule.objects.bulk_create(
        [
            KeywordRule(
                term=str(r["term"]), normalized=normalize(str(r["term"])) + f"#{i}",
                category=str(r["category"]), action=str(r["action"]),
                pinyin=bool(r.get("pinyin")),
            )
            for i, r in enumerate(rules)
        ]
    )  # fmt: skip
    rulesets.rules_import(report=rulesets.parse('{"allow": "乳腺检查"}'))
    author = User.objects.create_user("bench", None)
    now = timezone.now()
    texts = make_notes(count, rng, rules)
    Note.objects.bulk_create(
        [
            Note(author=author, title=t[:20], body=t, status="published", published_at=now)
            for t in texts
        ],
        batch_size=2000,
    )
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    # A worker is long-lived: build the matcher and the batch tables, and import what a
    # flagged note calls, before timing (reported separately as the one-time cost).
    from bridgenote.moderation.rules import scan_texts

    warm_start = time.perf_counter()
    scan_texts(["warm up", "预热"])
    import bridgenote.notes.services  # noqa: F401

    warm = time.perf_counter() - warm_start
    # Reference, same run: reading the same notes in the same id-ordered batches, no scan.
    ref_start = time.perf_counter()
    read_published()
    reference = time.perf_counter() - ref_start
    job = services.rescan_start()
    if workers <= 1:
        start, cpu = time.perf_counter(), time.process_time()
        services.rescan_run(job_id=job.pk)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    else:
        # ``workers`` processes forked after the warm-up (as long-lived workers would be),
        # each running its share of the chunk jobs; CPU time is the children's.
        from django.db import connections

        from bridgenote.moderation.models import RescanChunk

        chunks = list(RescanChunk.objects.filter(job=job).values_list("pk", flat=True))
        connections.close_all()
        start, before = time.perf_counter(), os.times()
        children = []
        for i in range(workers):
            pid = os.fork()
            if pid == 0:
                for chunk in chunks[i::workers]:
                    services.rescan_run(job_id=job.pk, chunk_id=chunk)
                connections.close_all()
                os._exit(0)
            children.append(pid)
        for pid in children:
            os.waitpid(pid, 0)
        elapsed, after = time.perf_counter() - start, os.times()
        cpu = (after.children_user + after.children_system) - (
            before.children_user + before.children_system
        )
    job.refresh_from_db()
    assert job.state == "done" and job.processed == count, (job.state, job.processed)
    rate_ = job.processed / elapsed
    batch = settings.MODERATION_RESCAN_BATCH
    print(f"one-time per worker process (matcher, tables, imports): {warm:.1f} s")
    print(f"rescan: {job.processed} notes in {elapsed:.1f} s = {rate_:,.0f} notes/s wall clock, "
          f"{job.flagged} flagged, batch {batch}, {workers} worker(s), "
          f"{settings.MODERATION_RESCAN_CHUNK} notes per chunk")  # fmt: skip
    print(f"  CPU time of the worker(s): {cpu:.1f} s = {job.processed / cpu:,.0f} notes/s per core")
    print(f"reference (reading the same notes in the same batches, no scan): {reference:.1f} s; "
          f"rescan = {elapsed / reference:.1f} x reference")  # fmt: skip
    print(f"1,000,000 notes at this rate: {1_000_000 / (job.processed / elapsed):.0f} s "
          f"wall clock, {1_000_000 / (job.processed / cpu):.0f} s of CPU")  # fmt: skip


def export_rules(path: str) -> None:
    """Write the rescan benchmark's 10,000 rules as a rule file (JSON lines) for
    ``bridgenote moderation-import``, to load them into a real dataset."""
    import json

    rules = make_rules(10_000, random.Random(7))
    with open(path, "w", encoding="utf-8") as out:
        for rule in rules:
            row = {
                k: rule.get(k, d)
                for k, d in (
                    ("term", ""),
                    ("languages", []),
                    ("category", "other"),
                    ("action", "hold"),
                    ("pinyin", False),
                )
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rules)} rules written to {path}")


def read_published() -> int:
    """Read the published notes' scanned fields in the rescan's id-ordered batches, no scan:
    the reference a rescan is measured against. Returns the number of notes read."""
    from django.conf import settings

    from bridgenote.notes.models import Note

    last, count = 0, 0
    while True:
        rows = list(
            Note.objects.filter(id__gt=last, status="published", moderation="published")
            .order_by("id")
            .values_list("id", "title", "body", "language", "alt_language", "alt_title",
                         "alt_body")[: settings.MODERATION_RESCAN_BATCH]
        )  # fmt: skip
        if not rows:
            return count
        count += len(rows)
        last = rows[-1][0]


def rescan_existing(poll: float = 1.0) -> None:
    """The real thing on the configured database (BRIDGENOTE_DATA_DIR / DATABASE_URL), with
    ``bridgenote worker`` processes already running: time a plain read of the published
    notes in the rescan's batches (the reference), then queue a rescan exactly as the
    console does (``rescan_start``: chunk jobs in the job queue), follow its progress on the
    job row until done, then wait for the follow-up jobs (feeds and search, notices)."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bridgenote.conf.settings")
    import django

    django.setup()
    from django.conf import settings
    from django_tasks_db.models import DBTaskResult

    from bridgenote.moderation import services
    from bridgenote.moderation.models import KeywordRule

    def load() -> str:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())

    rules = KeywordRule.objects.filter(enabled=True).count()
    batch, chunk = settings.MODERATION_RESCAN_BATCH, settings.MODERATION_RESCAN_CHUNK
    print(f"rules: {rules} enabled; batch {batch}, chunk {chunk}")
    read_published()  # warm the caches, untimed
    start = time.perf_counter()
    count = read_published()
    reference = time.perf_counter() - start
    print(f"reference: plain read of {count:,} published notes in batches: {reference:.1f} s "
          f"(load {load()})")  # fmt: skip
    from django.utils import timezone

    start, called = time.perf_counter(), timezone.now()
    job = services.rescan_start()
    print(f"rescan {job.pk} queued: {job.total:,} notes (load {load()})")
    last_print = 0.0
    while True:
        job.refresh_from_db()
        now = time.perf_counter() - start
        if job.state in ("done", "failed"):
            break
        if now - last_print >= 5:
            print(f"  {now:5.1f} s  {job.processed:>9,} / {job.total:,}  flagged {job.flagged:,}"
                  f"  (load {load()})")  # fmt: skip
            last_print = now
        time.sleep(poll)
    wall = (job.finished_at - called).total_seconds()
    row = (job.finished_at - job.created_at).total_seconds()
    print(f"rescan {job.state}: {job.processed:,} notes in {wall:.1f} s from the call to "
          f"rescan_start ({row:.1f} s from the job row's creation) = "
          f"{job.processed / wall:,.0f} notes/s, {job.flagged:,} flagged; "
          f"{wall / reference:.1f} x the plain read (load {load()})")  # fmt: skip
    drained = time.perf_counter()
    while DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists():
        time.sleep(poll)
    after = time.perf_counter() - drained
    print(f"follow-up jobs (feeds and search, notices) drained {after:.1f} s after the "
          f"rescan finished (load {load()})")  # fmt: skip


if __name__ == "__main__" and "--export-rules" in sys.argv:
    export_rules(sys.argv[sys.argv.index("--export-rules") + 1])
    sys.exit(0)


if __name__ == "__main__" and "--rescan-existing" in sys.argv:
    rescan_existing()
    sys.exit(0)


if __name__ == "__main__" and "--rescan" in sys.argv:
    workers = int(sys.argv[sys.argv.index("--workers") + 1]) if "--workers" in sys.argv else 1
    rescan_bench(int(sys.argv[sys.argv.index("--rescan") + 1]), workers)
    sys.exit(0)


if __name__ == "__main__":
    main()
