from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bridgenote.engage import services
from bridgenote.engage.models import Board, Comment, Follow, Like
from bridgenote.notes.models import Note
from tests.engage.conftest import make_note

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/notes/1/"}


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_note_like_htmx_returns_buttons_with_new_count(liwei_user: Any, ava_note: Note) -> None:
    client = client_for(liwei_user)
    response = client.post(f"/engage/notes/{ava_note.pk}/like", {"action": "like"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-pressed="true"' in html and '<span class="count">1</span>' in html
    response = client.post(f"/engage/notes/{ava_note.pk}/like", {"action": "like"}, **HTMX)
    assert Like.objects.count() == 1


def test_note_like_without_js_comes_back(liwei_user: Any, ava_note: Note) -> None:
    response = client_for(liwei_user).post(
        f"/engage/notes/{ava_note.pk}/like", {"action": "like", "next": "/notes/5/"}
    )
    assert response.status_code == 302 and response["Location"] == "/notes/5/"
    evil = client_for(liwei_user).post(
        f"/engage/notes/{ava_note.pk}/like", {"action": "unlike", "next": "https://evil.example/"}
    )
    assert evil["Location"] == "/"


def test_note_like_on_invisible_note_is_404(liwei_user: Any, ava_user: Any) -> None:
    private = make_note(ava_user, visibility=Note.Visibility.PRIVATE)
    response = client_for(liwei_user).post(f"/engage/notes/{private.pk}/like", **HTMX)
    assert response.status_code == 404


def test_note_actions_partial_renders_for_anonymous(ava_note: Note) -> None:
    response = Client().get(f"/engage/notes/{ava_note.pk}/actions")
    assert response.status_code == 200
    assert "/accounts/login/" in response.content.decode()


def test_board_picker_new_board_collects(liwei_user: Any, ava_note: Note) -> None:
    client = client_for(liwei_user)
    picker = client.get(f"/engage/notes/{ava_note.pk}/boards", **HTMX)
    assert "New board" in picker.content.decode()
    response = client.post(
        f"/engage/notes/{ava_note.pk}/boards/new", {"name": "English practice"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "English practice" in html and 'hx-swap-oob="true"' in html
    board = Board.objects.get(owner=liwei_user, name="English practice")
    assert board.note_count == 1
    assert Note.objects.get(pk=ava_note.pk).collect_count == 1


def test_board_picker_duplicate_name_keeps_what_was_typed(liwei_user: Any, ava_note: Note) -> None:
    services.board_create(owner=liwei_user, name="成都美食")
    response = client_for(liwei_user).post(
        f"/engage/notes/{ava_note.pk}/boards/new", {"name": "成都美食"}, **HTMX
    )
    html = response.content.decode()
    assert "already have a board" in html and 'value="成都美食"' in html


def test_collect_into_someone_elses_board_is_refused(
    ava_user: Any, liwei_user: Any, ava_note: Note
) -> None:
    avas = services.board_create(owner=ava_user, name="Ava's")
    response = client_for(liwei_user).post(
        f"/engage/notes/{ava_note.pk}/collect", {"board": str(avas.pk)}, **HTMX
    )
    assert response.status_code == 200
    assert "your own boards" in response.content.decode()
    assert Note.objects.get(pk=ava_note.pk).collect_count == 0


def test_comment_create_and_reply_render_thread(
    ava_user: Any, liwei_user: Any, ava_note: Note
) -> None:
    top = services.comment_create(author=ava_user, note=ava_note, body="Hello <b>world</b>")
    client = client_for(liwei_user)
    form = client.get(f"/engage/comments/{top.pk}/reply", **HTMX)
    assert "Replying to @ava" in form.content.decode()
    response = client.post(
        f"/engage/notes/{ava_note.pk}/comment",
        {"body": "你好！", "reply_to": str(top.pk)},
        **HTMX,
    )
    html = response.content.decode()
    assert "你好！" in html
    assert "&lt;b&gt;world&lt;/b&gt;" in html and "<b>world</b>" not in html
    assert "IP territory: Sichuan" in html
    assert Comment.objects.get(body="你好！").root_id == top.pk


def test_comment_over_long_keeps_draft_and_explains(liwei_user: Any, ava_note: Note) -> None:
    body = "好" * 600
    response = client_for(liwei_user).post(f"/engage/notes/{ava_note.pk}/comment", {"body": body})
    assert response.status_code == 400
    html = response.content.decode()
    assert "at most 500 characters" in html and body in html
    assert not Comment.objects.exists()


def test_comment_reply_to_deleted_comment_explains(
    ava_user: Any, liwei_user: Any, ava_note: Note
) -> None:
    top = services.comment_create(author=ava_user, note=ava_note, body="hi")
    services.comment_delete(user=ava_user, comment=top)
    response = client_for(liwei_user).post(
        f"/engage/notes/{ava_note.pk}/comment", {"body": "late", "reply_to": str(top.pk)}, **HTMX
    )
    assert "was deleted" in response.content.decode()


def test_comments_forged_cursor_is_400(ava_note: Note) -> None:
    response = Client().get(f"/engage/notes/{ava_note.pk}/comments?cursor=abc'--")
    assert response.status_code == 400


def test_comment_delete_pin_and_like_views(ava_user: Any, liwei_user: Any, ava_note: Note) -> None:
    comment = services.comment_create(author=liwei_user, note=ava_note, body="pin me")
    ava_client = client_for(ava_user)
    html = ava_client.post(f"/engage/comments/{comment.pk}/pin", {"action": "pin"}, **HTMX)
    assert "Pinned" in html.content.decode()
    ava_client.post(f"/engage/comments/{comment.pk}/like", {"action": "like"}, **HTMX)
    assert Comment.objects.get(pk=comment.pk).like_count == 1
    refused = client_for(liwei_user).post(f"/engage/comments/{comment.pk}/pin", **HTMX)
    assert "Only the note&#x27;s author" in refused.content.decode()
    client_for(liwei_user).post(f"/engage/comments/{comment.pk}/delete", **HTMX)
    assert Comment.objects.get(pk=comment.pk).is_deleted


def test_follow_button_states(ava_user: Any, liwei_user: Any) -> None:
    client = client_for(liwei_user)
    html = client.post("/@ava/relation", {"action": "follow"}, **HTMX).content.decode()
    assert "Following" in html and 'value="unfollow"' in html
    assert Follow.objects.filter(follower=liwei_user, followee=ava_user).exists()
    services.block_create(blocker=ava_user, blocked=liwei_user)
    html = client.post("/@ava/relation", {"action": "follow"}, **HTMX).content.decode()
    assert "can&#x27;t" in html or "can't" in html
    assert not Follow.objects.exists()


def test_follow_yourself_says_why(ava_user: Any) -> None:
    html = client_for(ava_user).post("/@ava/relation", {"action": "follow"}, **HTMX)
    assert "follow yourself" in html.content.decode()


def test_followers_and_following_pages(ava_user: Any, liwei_user: Any, bob: Any) -> None:
    services.follow_create(follower=liwei_user, followee=ava_user)
    services.follow_create(follower=bob, followee=ava_user)
    page = Client().get("/@ava/followers").content.decode()
    assert "李伟" in page and "@bob" in page
    page = Client().get("/@liwei/following").content.decode()
    assert "@ava" in page
    services.block_create(blocker=ava_user, blocked=bob)
    assert client_for(bob).get("/@ava/followers").status_code == 404
    assert Client().get("/@ava/followers?cursor=-1").status_code == 400


def test_board_page_lists_notes_and_hides_private(
    ava_user: Any, liwei_user: Any, ava_note: Note
) -> None:
    board = services.board_create(owner=liwei_user, name="English practice")
    services.collect_create(user=liwei_user, note=ava_note, board=board)
    page = Client().get(f"/boards/{board.pk}/")
    assert page.status_code == 200 and "English practice" in page.content.decode()
    assert f'data-note-id="{ava_note.pk}"' in page.content.decode()
    secret = services.board_create(owner=liwei_user, name="Secret", is_private=True)
    assert Client().get(f"/boards/{secret.pk}/").status_code == 404
    assert client_for(liwei_user).get(f"/boards/{secret.pk}/").status_code == 200
    boards = Client().get("/@liwei/boards").content.decode()
    assert "English practice" in boards and "Secret" not in boards


def test_more_comments_pages_by_cursor(ava_user: Any, liwei_user: Any, ava_note: Note) -> None:
    from django.test import override_settings

    with override_settings(COMMENT_RATE_PER_MINUTE=100):
        comments = [
            services.comment_create(author=liwei_user, note=ava_note, body=f"c{i}")
            for i in range(23)
        ]
    services.comment_pin(user=ava_user, comment=comments[-1])
    first = Client().get(f"/engage/notes/{ava_note.pk}/actions")
    assert first.status_code == 200
    from bridgenote.engage.queries import COMMENTS_PAGE, comment_thread

    thread = comment_thread(viewer=None, note=ava_note)
    assert thread.roots[0].pk == comments[-1].pk and len(thread.roots) == COMMENTS_PAGE
    more = Client().get(f"/engage/notes/{ava_note.pk}/comments?cursor={thread.next_cursor}")
    html = more.content.decode()
    # The first page was the pinned c22 and c0 ... c8; the next one starts at c9.
    last = 2 * COMMENTS_PAGE - 2
    assert f"c{COMMENTS_PAGE - 1}<" in html and f"c{last}<" in html
    assert f"c{last + 1}<" not in html and "c22" not in html and "c5<" not in html


def test_relation_unknown_action_is_400(liwei_user: Any, ava_user: Any) -> None:
    assert client_for(liwei_user).post("/@ava/relation", {"action": "hug"}).status_code == 400


def test_board_picker_works_without_javascript(liwei_user: Any, ava_note: Note) -> None:
    client = client_for(liwei_user)
    page = client.get(f"/engage/notes/{ava_note.pk}/boards?next=/notes/{ava_note.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and "<html" in html and "Collect into a board" in html
    done = client.post(
        f"/engage/notes/{ava_note.pk}/collect",
        {"board": "default", "next": f"/notes/{ava_note.pk}/"},
    )
    assert done.status_code == 302 and done["Location"] == f"/notes/{ava_note.pk}/"
    assert Note.objects.get(pk=ava_note.pk).collect_count == 1
    refused = client.post(f"/engage/notes/{ava_note.pk}/boards/new", {"name": ""})
    assert refused.status_code == 400 and "Give the board a name." in refused.content.decode()
