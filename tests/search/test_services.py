from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from bridgenote.notes.models import Note, NoteTopic
from bridgenote.search.analysis import parse_query
from bridgenote.search.models import NoteDocument, SearchHistory, SearchQueryLog, TopicAlias
from bridgenote.search.queries import (
    search_notes,
    search_request,
    search_topics,
    topic_group_ids,
)
from bridgenote.search.services import (
    AliasError,
    gloss_keys,
    search_history_clear,
    search_index_note,
    search_record,
    search_reindex_notes,
    search_remove_note,
    topic_alias_decide,
    topic_alias_propose,
    topic_alias_propose_from_dictionary,
)
from tests.search.conftest import note, person, topic

pytestmark = pytest.mark.django_db


def _found(q: str) -> list[Note]:
    return search_notes(search_request(q), viewer=None).notes


def test_search_index_note_follows_edits_and_unpublishing(author: Any) -> None:
    made = note(author, "", "咖啡")
    Note.objects.filter(pk=made.pk).update(body="奶茶")
    assert search_index_note(note_id=made.id)
    assert _found("咖啡") == [] and _found("奶茶") == [made]
    Note.objects.filter(pk=made.pk).update(status=Note.Status.DRAFT)
    assert not search_index_note(note_id=made.id)
    assert _found("奶茶") == [] and not NoteDocument.objects.exists()


def test_search_remove_note_and_note_deletion(author: Any) -> None:
    kept = note(author, "", "咖啡 kept")
    removed = note(author, "", "咖啡 removed")
    search_remove_note(note_id=removed.id)
    search_remove_note(note_id=removed.id)  # idempotent
    assert _found("咖啡") == [kept]
    kept.delete()
    assert _found("咖啡") == [] and not NoteDocument.objects.filter(note_id=kept.id).exists()


def test_search_index_note_for_a_missing_note(db: Any) -> None:
    assert search_index_note(note_id=12345) is False


def test_search_reindex_rebuilds_everything(author: Any) -> None:
    made = [note(author, "", f"咖啡 {i}") for i in range(5)]
    NoteDocument.objects.all().delete()
    assert _found("咖啡") == []
    seen: list[tuple[int, int]] = []
    assert search_reindex_notes(batch_size=2, progress=lambda d, t: seen.append((d, t))) == 5
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert set(_found("咖啡")) == set(made)


def test_search_reindex_command_prints_progress(author: Any) -> None:
    note(author, "", "咖啡")
    out, err = StringIO(), StringIO()
    call_command("search-reindex", stdout=out, stderr=err)
    assert "indexed 1 notes" in out.getvalue()
    assert "notes" in err.getvalue() and "100.0%" in err.getvalue()


def test_topic_alias_accepted_merges_search(
    author: Any, django_capture_on_commit_callbacks: Any
) -> None:
    selfie_zh = note(author, "", "海边", topics=("自拍",))
    selfie_en = note(author, "", "beach", topics=("selfie",))
    assert _found("selfie") == [selfie_en]
    alias = topic_alias_propose(alias=topic("selfie"), canonical=topic("自拍"))
    assert _found("selfie") == [selfie_en]  # proposed only
    with django_capture_on_commit_callbacks(execute=True):
        topic_alias_decide(alias=alias, accept=True, by=None)
    assert set(_found("selfie")) == {selfie_zh, selfie_en}
    assert set(_found("自拍")) == {selfie_zh, selfie_en}
    assert search_topics("selfie") == [topic("自拍")]
    assert set(topic_group_ids(topic("selfie").id)) == {topic("自拍").id, topic("selfie").id}
    with django_capture_on_commit_callbacks(execute=True):
        topic_alias_decide(alias=alias, accept=False, by=None)
    assert _found("selfie") == [selfie_en]
    assert search_topics("selfie") == [topic("selfie")]


def test_topic_alias_rules(db: Any) -> None:
    a, b, c = topic("旅行"), topic("travel"), topic("trip")
    with pytest.raises(AliasError):
        topic_alias_propose(alias=a, canonical=a)
    alias = topic_alias_propose(alias=b, canonical=a)
    topic_alias_decide(alias=alias, accept=True, by=None)
    with pytest.raises(AliasError, match="canonical_is_alias"):
        topic_alias_propose(alias=c, canonical=b)
    with pytest.raises(AliasError, match="alias_is_canonical"):
        topic_alias_propose(alias=a, canonical=c)
    with pytest.raises(AliasError, match="already_aliased"):
        topic_alias_propose(alias=b, canonical=c)


def test_gloss_keys_normalise_dictionary_glosses() -> None:
    assert "selfie" in gloss_keys("to take a selfie")
    assert gloss_keys("to travel") == ["travel"]
    assert "streetfood" in gloss_keys("street food")
    assert gloss_keys("CL:趟[tang4]") == []


def test_topic_alias_propose_from_dictionary(db: Any) -> None:
    zh = topic("自拍", note_count=10)
    en = topic("selfie", note_count=2)
    trip = topic("旅行", note_count=1)
    travel = topic("travel", note_count=4)
    topic("咖啡")  # no English topic for it
    proposed = topic_alias_propose_from_dictionary()
    pairs = {(p.alias_id, p.canonical_id) for p in proposed}
    assert pairs == {(en.id, zh.id), (trip.id, travel.id)}
    assert all(p.status == TopicAlias.Status.PROPOSED and p.source == "cedict" for p in proposed)
    assert topic_alias_propose_from_dictionary() == []  # nothing proposed twice


def test_search_record_counts_and_keeps_history(db: Any, settings: Any) -> None:
    settings.SEARCH_HISTORY_MAX = 2
    ava = person("ava")
    for q in ("咖啡", "latte", "咖啡", "自拍"):
        search_record(user=ava, query=parse_query(q))
    assert SearchQueryLog.objects.get(query="咖啡").count == 2
    assert list(SearchHistory.objects.filter(user=ava).order_by("-searched_at").values_list(
        "query", flat=True)) == ["自拍", "咖啡"]  # fmt: skip
    search_record(user=None, query=parse_query("   "))
    assert SearchQueryLog.objects.count() == 3
    assert search_history_clear(user=ava) == 2
    assert not SearchHistory.objects.exists()


def test_search_reindex_topic_group_via_note_topic_rows(author: Any) -> None:
    made = note(author, "", "hello")
    NoteTopic.objects.create(note=made, topic=topic("咖啡"))
    search_index_note(note_id=made.id)
    assert _found("kafei") == [made]


@pytest.mark.django_db(transaction=True)
def test_search_reindex_with_worker_processes(db: Any) -> None:
    author = person("author2", "作者")
    made = [note(author, f"咖啡 {i}", "我最喜欢的咖啡店", topics=("自拍",)) for i in range(7)]
    NoteDocument.objects.all().delete()
    assert search_reindex_notes(batch_size=3, workers=2) == 7
    assert set(_found("咖啡")) == set(made)
    assert set(_found("zipai")) == set(made)


def _fulltext_upkeep() -> set[str]:
    """The names of what maintains the full-text index row by row: SQLite's triggers or
    PostgreSQL's GIN index."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'search_notedocument'"
                " AND indexname = 'search_notedocument_tsv'"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                " AND tbl_name = 'search_notedocument'"
            )
        return {row[0] for row in cursor.fetchall()}


def test_search_bulk_rebuild_builds_the_index_and_restores_its_upkeep(author: Any) -> None:
    from bridgenote.search.services import reindex_everything

    upkeep = _fulltext_upkeep()
    assert upkeep
    made = note(author, "", "我最喜欢的咖啡店")
    gone = note(author, "", "咖啡 draft")
    Note.objects.filter(pk=gone.pk).update(status=Note.Status.DRAFT)
    result = reindex_everything(bulk=True)
    assert result["notes"] == 1 and _found("咖啡") == [made]
    assert _fulltext_upkeep() == upkeep
    # Maintained row by row again: an edit is found and the old text no longer is.
    Note.objects.filter(pk=made.pk).update(body="奶茶")
    search_index_note(note_id=made.id)
    assert _found("咖啡") == [] and _found("奶茶") == [made]


def test_search_bulk_rebuild_that_fails_still_leaves_a_working_index(
    author: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bridgenote.search import services

    made = note(author, "", "咖啡")

    def fail(**kwargs: Any) -> int:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services, "search_reindex_notes", fail)
    with pytest.raises(RuntimeError):
        services.reindex_everything(bulk=True)
    assert _fulltext_upkeep()
    assert _found("咖啡") == [made]
    later = note(author, "", "咖啡 later")
    assert set(_found("咖啡")) == {made, later}


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _killed_rebuild(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a bulk rebuild killed half-way leaves: its marker (naming a process that is gone)
    and the full-text index's upkeep switched off."""
    from bridgenote.search import services

    dead = _dead_pid()
    monkeypatch.setattr(services, "_this_process", lambda: (services.socket.gethostname(), dead))
    services._rebuild_begin()
    monkeypatch.undo()


def test_search_start_repairs_a_killed_bulk_rebuild(
    author: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bridgenote.search.models import BulkRebuild
    from bridgenote.search.services import repair_at_start, search_repair_interrupted_rebuild

    upkeep = _fulltext_upkeep()
    _killed_rebuild(monkeypatch)
    assert not _fulltext_upkeep() and BulkRebuild.objects.exists()
    made = note(author, "", "咖啡 written while the upkeep was off")
    repair_at_start()  # what serve and worker run first
    assert _fulltext_upkeep() == upkeep and not BulkRebuild.objects.exists()
    assert _found("咖啡") == [made]
    later = note(author, "", "咖啡 later")
    assert set(_found("咖啡")) == {made, later}
    assert search_repair_interrupted_rebuild() is False  # nothing left to repair


def test_search_reindex_repairs_a_killed_bulk_rebuild(
    author: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bridgenote.search.models import BulkRebuild
    from bridgenote.search.services import reindex_everything

    upkeep = _fulltext_upkeep()
    made = note(author, "", "咖啡")
    for bulk in (True, False):
        _killed_rebuild(monkeypatch)
        assert reindex_everything(bulk=bulk)["notes"] == 1
        assert _fulltext_upkeep() == upkeep and not BulkRebuild.objects.exists()
        assert _found("咖啡") == [made]


def test_search_live_bulk_rebuild_is_neither_repaired_nor_run_twice(
    author: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from django.core.management import CommandError
    from django.utils import timezone

    from bridgenote.search import services
    from bridgenote.search.models import BulkRebuild

    note(author, "", "咖啡")
    services._rebuild_begin()  # this (live) process is rebuilding
    try:
        assert services.search_repair_interrupted_rebuild() is False
        assert not _fulltext_upkeep()
        with pytest.raises(services.RebuildRunning):
            services.reindex_everything(bulk=True)
        with pytest.raises(CommandError, match="another search reindex is running"):
            call_command("search-reindex", "--online", stdout=StringIO())
        # Seen from another host: alive while it beats, over once silent for long enough.
        BulkRebuild.objects.update(host="elsewhere")
        assert services.search_repair_interrupted_rebuild() is False
        silent = timezone.now() - timedelta(seconds=BulkRebuild.STALE_SECONDS + 1)
        BulkRebuild.objects.update(heartbeat_at=silent)
        assert services.search_repair_interrupted_rebuild() is True
        assert _fulltext_upkeep() and not BulkRebuild.objects.exists()
    finally:
        services.backend().bulk_end()


def test_search_same_host_rebuild_is_live_while_its_process_is_even_if_silent(
    author: Any,
) -> None:
    # The heartbeat stops during the final index build (one long transaction): on its own
    # host a rebuild is judged by its process alone.
    from datetime import timedelta

    from django.utils import timezone

    from bridgenote.search import services
    from bridgenote.search.models import BulkRebuild

    note(author, "", "咖啡")
    services._rebuild_begin()  # this (live) process is rebuilding
    try:
        silent = timezone.now() - timedelta(seconds=BulkRebuild.STALE_SECONDS + 60)
        BulkRebuild.objects.update(heartbeat_at=silent)
        assert services.search_repair_interrupted_rebuild() is False
        with pytest.raises(services.RebuildRunning):
            services._rebuild_begin()
        assert BulkRebuild.objects.get().heartbeat_at == silent
    finally:
        services.backend().bulk_end()
        BulkRebuild.objects.all().delete()


def test_search_two_rebuilds_starting_together_do_not_both_run(
    author: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both read "no marker" (nothing to lock on PostgreSQL): the second one's INSERT fails.
    from bridgenote.search import services
    from bridgenote.search.models import BulkRebuild

    note(author, "", "咖啡")
    services._rebuild_begin()
    try:
        first = BulkRebuild.objects.get()
        monkeypatch.setattr(services, "_current_marker", lambda: None)
        monkeypatch.setattr(services, "_this_process", lambda: ("elsewhere", 1))
        with pytest.raises(services.RebuildRunning):
            services._rebuild_begin()
        assert BulkRebuild.objects.get().pid == first.pid  # the first one's marker stands
    finally:
        monkeypatch.undo()
        services.backend().bulk_end()
        BulkRebuild.objects.all().delete()
