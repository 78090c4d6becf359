"""The note and comment resolvers check visibility with ``notes.queries.visible_note`` /
``note_visible_to`` (one note, visible_to's rules): same answers as the full querysets, and a
cached translation costs a fixed, small number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bridgenote.engage.apps import comment_texts
from bridgenote.engage.errors import NotFound
from bridgenote.engage.models import Block, Comment, Follow
from bridgenote.engage.queries import comment_for
from bridgenote.notes.models import Note
from tests.factories import UserFactory, ava, liwei

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_ACCEPT_LANGUAGE": "en"}


def published(author: Any, **kwargs: Any) -> Note:
    fields = {"status": "published", "media_ready": True, "body": "我想喝咖啡", **kwargs}
    return Note.objects.create(author=author, title="", **fields)


def test_a_cached_note_translation_costs_a_few_small_queries(client, llm):
    li, reader = liwei(), ava()
    note = published(li)
    client.force_login(reader)
    path = f"/translate/o/note/{note.id}/body/"
    assert b"I want to drink coffee" in client.post(path, **HTMX).content  # provider, stored
    calls = len(llm.requests)
    counts = {}
    for who, browser in (("reader", client), ("author", Client()), ("signed out", Client())):
        if who == "author":
            browser.force_login(li)
        with CaptureQueriesContext(connection) as queries:
            assert b"I want to drink coffee" in browser.post(path, **HTMX).content
        sql = [query["sql"] for query in queries.captured_queries]
        # No visible_to subqueries: the note's row, then follows/blocks in one statement.
        assert not any("IN (SELECT" in statement for statement in sql), sql
        assert not any("translate_translation" in statement for statement in sql), sql
        counts[who] = len(sql)
    assert len(llm.requests) == calls  # all three came from the cache
    # the session with its user + note (+ follows and blocks for someone else); signed out:
    # the note.
    assert counts == {"reader": 3, "author": 2, "signed out": 1}


def _comment_visible(viewer: Any, comment_id: int) -> bool:
    try:
        comment = comment_for(viewer, comment_id)
    except NotFound:
        return False
    return not comment.is_deleted


def test_the_comment_resolver_answers_as_comment_for():
    li, reader, writer = liwei(), ava(), UserFactory(handle="writer")
    public = published(li)
    cases: dict[str, Comment] = {}

    def comment(name: str, note: Note, author: Any = writer, **kwargs: Any) -> None:
        cases[name] = Comment.objects.create(note=note, author=author, body="好酷", **kwargs)

    comment("public", public)
    comment("private note", published(li, visibility="private"))
    comment("followers note", published(li, visibility="followers"))
    followed = UserFactory(handle="followed")
    Follow.objects.create(follower=reader, followee=followed)
    comment("followed followers note", published(followed, visibility="followers"))
    comment("draft note", published(li, status="draft"))
    comment("held note", published(li, moderation="pending"))
    comment("unready note", published(li, media_ready=False))
    comment("limited note", published(li, moderation="limited"))
    comment("pending comment", public, moderation="pending")
    comment("removed comment", public, moderation="removed")
    comment("limited comment", public, moderation="limited")
    comment("own pending comment", public, author=reader, moderation="pending")
    comment("deleted comment", public, is_deleted=True)
    comment("own comment on own private note", published(reader, visibility="private"), reader)
    blocker = UserFactory(handle="blocker")
    Block.objects.create(blocker=blocker, blocked=reader)
    comment("comment author blocks reader", public, author=blocker)
    blocked = UserFactory(handle="blockedbyreader")
    Block.objects.create(blocker=reader, blocked=blocked)
    comment("reader blocks comment author", public, author=blocked)
    comment("reader blocks note author", published(blocked))
    answers = set()
    for viewer in (reader, li, writer, None):
        for name, row in cases.items():
            expected = _comment_visible(viewer, row.id)
            try:
                got = comment_texts(viewer, row.id) == {"body": row.body}
            except Http404:
                got = False
            assert got is expected, (getattr(viewer, "handle", None), name)
            answers.add(expected)
    assert answers == {True, False}
    for key in (0, 2**63, 2**70):
        with pytest.raises(Http404):
            comment_texts(reader, key)
