from __future__ import annotations

from typing import Any

import pytest

from bridgenote.engage.models import Block, Follow
from bridgenote.notes.models import Note
from bridgenote.search.queries import (
    search_notes,
    search_people,
    search_request,
    search_topics,
    suggest,
)
from tests.search.conftest import note, person, topic

pytestmark = pytest.mark.django_db


def _found(q: str, viewer: Any = None, **choices: Any) -> list[Note]:
    return search_notes(search_request(q, **choices), viewer=viewer).notes


def test_search_notes_finds_two_character_word_in_body(author: Any) -> None:
    cafe = note(author, "周末", "我最喜欢的咖啡店")
    note(author, "周末", "我最喜欢的茶馆")
    assert _found("咖啡") == [cafe]


def test_search_notes_title_topics_and_place(author: Any) -> None:
    by_title = note(author, "Latte art")
    by_topic = note(author, "", "今天", topics=("拿铁",))
    by_place = note(author, "", "hello", place_name="上海静安寺")
    assert _found("latte") == [by_title]
    assert _found("拿铁") == [by_topic]
    assert _found("静安") == [by_place]


def test_search_notes_traditional_pinyin_and_stemming(author: Any) -> None:
    taiwan = note(author, "臺灣旅行")
    selfie = note(author, "", "海边自拍")
    cats = note(author, "", "My cats are asleep")
    assert _found("台湾") == [taiwan]
    assert _found("zipai") == [selfie]
    assert _found("zp") == [selfie]
    assert _found("CAT") == [cats]


def test_search_notes_mixed_query(author: Any) -> None:
    both = note(author, "", "这家咖啡店的 latte 很好喝")
    note(author, "", "这家咖啡店的美式很好喝")
    assert _found("咖啡 latte") == [both]


def test_search_notes_hides_what_others_may_not_see(author: Any, viewer: Any) -> None:
    public = note(author, "", "咖啡 public")
    note(author, "", "咖啡 review", moderation=Note.Moderation.PENDING)
    note(author, "", "咖啡 limited", moderation=Note.Moderation.LIMITED)
    note(author, "", "咖啡 removed", moderation=Note.Moderation.REMOVED)
    note(author, "", "咖啡 private", visibility=Note.Visibility.PRIVATE)
    note(author, "", "咖啡 draft", status=Note.Status.DRAFT)
    note(author, "", "咖啡 processing", media_ready=False)
    followers = note(author, "", "咖啡 followers", visibility=Note.Visibility.FOLLOWERS)
    assert _found("咖啡", viewer) == [public]
    assert _found("咖啡") == [public]
    Follow.objects.create(follower=viewer, followee=author)
    assert set(_found("咖啡", viewer)) == {public, followers}


def test_search_notes_hides_blocked_both_ways(author: Any, viewer: Any) -> None:
    note(author, "", "咖啡")
    block = Block.objects.create(blocker=author, blocked=viewer)
    assert _found("咖啡", viewer) == []
    block.delete()
    Block.objects.create(blocker=viewer, blocked=author)
    assert _found("咖啡", viewer) == []


def test_search_notes_author_finds_own_private_note(author: Any) -> None:
    mine = note(author, "", "咖啡 private", visibility=Note.Visibility.PRIVATE)
    assert _found("咖啡", author) == [mine]


def test_search_notes_sorts(author: Any) -> None:
    a = note(author, "", "咖啡 a", like_count=5, collect_count=1, comment_count=9)
    b = note(author, "", "咖啡 b", like_count=9, collect_count=7, comment_count=1)
    c = note(author, "", "咖啡 c", like_count=1, collect_count=9, comment_count=5)
    assert _found("咖啡", sort="latest") == [c, b, a]
    assert _found("咖啡", sort="likes") == [b, a, c]
    assert _found("咖啡", sort="comments") == [a, c, b]
    assert _found("咖啡", sort="collects") == [c, b, a]
    assert set(_found("咖啡", sort="relevance")) == {a, b, c}
    assert _found("咖啡", sort="nonsense") == _found("咖啡", sort="relevance")


def test_search_notes_relevance_prefers_title_match_then_popularity(author: Any) -> None:
    in_body = note(author, "周末", "咖啡", like_count=0)
    in_title = note(author, "咖啡", "周末", like_count=0)
    assert _found("咖啡") == [in_title, in_body]


def test_search_notes_filters_language_and_media(author: Any) -> None:
    zh = note(author, "", "咖啡", language="zh", media="image")
    en = note(author, "", "咖啡 coffee", language="en", media="video")
    assert _found("咖啡", language="zh") == [zh]
    assert _found("咖啡", media="video") == [en]
    assert _found("咖啡", media="image") == [zh]


def test_search_notes_pages(author: Any, settings: Any) -> None:
    settings.SEARCH_PAGE_SIZE = 2
    made = [note(author, "", f"咖啡 {i}") for i in range(3)]
    first = search_notes(search_request("咖啡", sort="latest"), viewer=None)
    second = search_notes(search_request("咖啡", sort="latest", page="2"), viewer=None)
    assert first.notes == made[:0:-1] and first.has_next
    assert second.notes == [made[0]] and not second.has_next


def test_search_people_by_handle_name_and_pinyin(db: Any) -> None:
    liwei = person("liwei", "李伟", followers=10)
    ava = person("ava", "Ava 🌸")
    assert search_people("李", viewer=None) == [liwei]
    assert search_people("liw", viewer=None) == [liwei]
    assert search_people("lw", viewer=None) == [liwei]
    assert search_people("AVA", viewer=None) == [ava]


def test_search_people_hides_blocked(db: Any) -> None:
    liwei = person("liwei", "李伟")
    ava = person("ava", "Ava")
    Block.objects.create(blocker=liwei, blocked=ava)
    assert search_people("liwei", viewer=ava) == []
    assert search_people("liwei", viewer=None) == [liwei]


def test_search_topics_by_name_and_pinyin(db: Any) -> None:
    selfie = topic("自拍", note_count=3)
    travel = topic("旅行日记")
    assert search_topics("zip") == [selfie]
    assert search_topics("自") == [selfie]
    assert search_topics("lvxing") == [travel]


def test_suggest_topics_people_and_popular_queries(author: Any) -> None:
    from bridgenote.search.analysis import parse_query
    from bridgenote.search.services import search_record

    selfie = topic("自拍", note_count=3)
    zhang = person("zhangpei", "张培")
    for _ in range(5):
        search_record(user=None, query=parse_query("Zip file"))
    found = suggest("zp", viewer=None)
    assert found.topics == [selfie]
    assert found.people == [zhang]
    assert suggest("zip", viewer=None).queries == ["Zip file"]
    assert suggest("", viewer=None).is_empty
    assert suggest("🌸", viewer=None).is_empty


def test_suggestions_are_kept_per_prefix_but_follow_writes_and_blocks(db: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    liwei = person("liwei", "李伟")
    ava = person("ava", "Ava")
    assert suggest("li", viewer=None).people == [liwei]
    with CaptureQueriesContext(connection) as queries:
        assert suggest("li", viewer=None).people == [liwei]
    assert len(queries) == 0  # kept: no query for a prefix asked before
    # A block applies at once, whatever was kept.
    Block.objects.create(blocker=liwei, blocked=ava)
    assert suggest("li", viewer=ava).people == []
    assert suggest("li", viewer=None).people == [liwei]
    # Indexing a person or a topic in this process forgets what was kept.
    lin = person("lina", "Lina", followers=10)
    assert suggest("li", viewer=None).people == [lin, liwei]
    lychee = topic("lichi")
    assert suggest("li", viewer=None).topics == [lychee]


def test_search_notes_window_falls_back_when_newest_matches_are_hidden(
    author: Any, settings: Any
) -> None:
    settings.SEARCH_WINDOW = 2
    settings.SEARCH_PAGE_SIZE = 2
    old = note(author, "", "咖啡 old")
    for _ in range(12):
        note(author, "", "咖啡 hidden", visibility=Note.Visibility.PRIVATE)
    for sort in ("relevance", "latest", "likes"):
        assert _found("咖啡", sort=sort) == [old]


def test_search_notes_deep_page_past_the_window(author: Any, settings: Any) -> None:
    settings.SEARCH_WINDOW = 2
    settings.SEARCH_PAGE_SIZE = 1
    made = [note(author, "", f"咖啡 {i}") for i in range(4)]
    assert _found("咖啡", sort="relevance", page="4") == [made[0]]
    assert len({n.id for p in range(1, 5) for n in _found("咖啡", page=str(p))}) == 4


@pytest.mark.parametrize("way", ["walk", "slice"])
def test_search_notes_postgres_slice_keeps_the_newest_matches(
    author: Any, settings: Any, monkeypatch: Any, way: str
) -> None:
    """On PostgreSQL a window is searched in the newest slice of ids, sized from the planner's
    estimate, walked through the primary key or read through the GIN index: the page holds
    the newest matches, in every sort, and a slice holding too few visible matches falls back
    to all of them. A query whose rarest word has few matches reads them all."""
    from django.db import connection

    from bridgenote.search.backends import postgres

    if connection.vendor != "postgresql":
        pytest.skip("the id slice is PostgreSQL's")
    settings.SEARCH_WINDOW = 4
    settings.SEARCH_PAGE_SIZE = 3
    # Costs that force the way under test (the estimates of 80 notes make both plausible);
    # with "slice", ranking every match joins notes by a hash join rather than probes.
    monkeypatch.setattr(postgres, "WALK_US_PER_ROW", 0.0 if way == "walk" else 1e9)
    monkeypatch.setattr(postgres, "EVERY_PROBES_MAX", 50_000 if way == "walk" else 0)
    popular = note(author, "", "咖啡 popular", like_count=99, comment_count=7)
    for i in range(40):
        note(author, "", f"茶 {i}")
    made = [note(author, "", f"咖啡 {i}", like_count=i % 5) for i in range(40)]
    rare = note(author, "", "咖啡 抹茶")
    made.append(rare)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_notedocument")
    postgres._ESTIMATES.clear()
    postgres._ID_RANGE.clear()
    backend = postgres.PostgresBackend()
    kind, floor = backend._plan(search_request("咖啡").query, 4, "default")
    assert kind == way
    assert floor is not None and made[0].id < floor <= made[-1].id
    # 抹茶 is in one note: read every match of 咖啡 AND 抹茶, whatever their AND's estimate.
    assert backend._plan(search_request("咖啡 抹茶").query, 4, "default") == ("all", None)
    assert _found("咖啡 抹茶", sort="likes") == [rare]
    assert _found("咖啡", sort="latest") == made[::-1][:3]
    # Popularity sorts are exact on PostgreSQL: the oldest note, far below the slice, leads.
    likes = [n.like_count for n in _found("咖啡", sort="likes")]
    assert likes == [99, 4, 4]
    assert _found("咖啡", sort="comments")[0] == popular
    # A counter walk stopped short (its estimate too high) falls back to every match.
    monkeypatch.setattr(postgres, "COUNTER_WALK_MIN", 1)
    monkeypatch.setattr(postgres, "COUNTER_WALK_SLACK", 0.01)
    assert [n.like_count for n in _found("咖啡", sort="likes")] == [99, 4, 4]
    monkeypatch.undo()
    monkeypatch.setattr(postgres, "WALK_US_PER_ROW", 0.0 if way == "walk" else 1e9)
    monkeypatch.setattr(postgres, "EVERY_PROBES_MAX", 50_000 if way == "walk" else 0)
    assert all(n.id >= floor for n in _found("咖啡", sort="relevance"))
    # The newest matches hidden from a visitor: the page still fills from older notes.
    Note.objects.filter(id__gte=floor).update(visibility=Note.Visibility.PRIVATE)
    visible = [n for n in made if n.id < floor][::-1]
    assert _found("咖啡", sort="latest") == visible[:3]
    assert [n.like_count for n in _found("咖啡", sort="likes")] == [99, 4, 4]
    # No match at all: an empty page (read from the GIN index, not by walking every note).
    assert _found("量子", sort="latest") == []


def test_search_notes_relevance_field_weights_title_place_body(author: Any) -> None:
    in_body = note(author, "周末", "静安 咖啡")
    in_place = note(author, "周末", "咖啡", place_name="上海静安寺")
    in_title = note(author, "静安", "咖啡")
    in_topic = note(author, "周末", "咖啡", topics=("静安",))
    from django.db import connection

    found = _found("静安 咖啡")
    assert set(found[:2]) == {in_title, in_topic}
    assert set(found[2:]) == {in_place, in_body}
    if connection.vendor == "sqlite":  # ts_rank weighs the place (B) and both words in the body
        assert found[2:] == [in_place, in_body]  # (D) about the same


def test_search_notes_relevance_rarer_word_weighs_more(author: Any) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's ts_rank has no document frequency")
    # 咖啡 is in every note, 露营 in two: where the rare word is in the title wins.
    for i in range(6):
        note(author, f"周末 {i}", "咖啡")
    rare_in_title = note(author, "露营", "咖啡")
    common_in_title = note(author, "咖啡", "露营")
    assert _found("咖啡 露营") == [rare_in_title, common_in_title]
    assert _found("露营 咖啡") == [rare_in_title, common_in_title]


def test_search_notes_relevance_popularity_breaks_ties_then_newest(author: Any) -> None:
    old = note(author, "咖啡", "", like_count=0)
    liked = note(author, "咖啡", "", like_count=40)
    new = note(author, "咖啡", "", like_count=0)
    body = note(author, "", "咖啡", like_count=10_000)
    # A much better match stays above a popular weaker one.
    assert _found("咖啡") == [liked, new, old, body]


def test_search_notes_relevance_pages_agree_with_fallback(author: Any, settings: Any) -> None:
    # Page 2 lies past a window of 2 matches: it is ranked over every match by the same
    # score, so the pages neither repeat nor skip a note.
    settings.SEARCH_PAGE_SIZE = 2
    settings.SEARCH_WINDOW = 2
    made = [note(author, "咖啡" if i % 2 else "周末", "咖啡", like_count=i) for i in range(5)]
    pages = [_found("咖啡", page=str(p)) for p in (1, 2, 3)]
    seen = [n for page in pages for n in page]
    assert sorted(n.id for n in seen) == sorted(n.id for n in made)
    assert seen[:2] == [made[3], made[1]]


def test_search_notes_relevance_of_several_terms_ranks_a_smaller_window(
    author: Any, settings: Any
) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL ranks every match of a rare query (no id slice)")
    settings.SEARCH_PAGE_SIZE = 1
    settings.SEARCH_WINDOW = 4
    settings.SEARCH_WINDOW_MULTI = 2
    best = note(author, "咖啡 露营", "")
    note(author, "", "咖啡 露营")
    newest = note(author, "", "咖啡 露营")
    # One term: the 4 newest matches are ranked, the title match among them wins.
    assert _found("咖啡") == [best]
    # Two terms: only the 2 newest are ranked.
    assert _found("咖啡 露营") == [newest]


@pytest.mark.django_db(transaction=True)
def test_sqlite_relevance_reads_the_row_count_from_the_index(db: Any) -> None:
    from django.db import connection

    from bridgenote.search.backends import sqlite
    from bridgenote.search.models import NoteDocument
    from tests.search.conftest import person

    if connection.vendor != "sqlite":
        pytest.skip("FTS5's averages record")
    author = person("rows", "Rows")
    for i in range(3):
        note(author, "", f"咖啡 {i}")
    with connection.cursor() as cursor:  # committed: FTS5 wrote its averages record
        assert sqlite._indexed_rows(cursor) == NoteDocument.objects.count() == 3


def test_sqlite_relevance_survives_a_document_frequency_above_the_row_count(
    author: Any, monkeypatch: Any
) -> None:
    # Another process cached a count from before a reindex dropped documents: the IDF is
    # computed with the count clamped to the rows, not a log of a negative number (a 500).
    from django.db import connection

    from bridgenote.search.backends import sqlite

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's own document frequencies")
    made = note(author, "咖啡", "")
    monkeypatch.setattr(sqlite.SqliteBackend, "_document_frequency", lambda *a: 1_000)
    assert _found("咖啡") == [made]
