"""The note page for readers (assembled from remembered parts, ``notes/page.py``) and the
paginated replies of a thread ("Show more replies")."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from bridgenote.engage import queries, services
from bridgenote.engage.models import Comment
from bridgenote.feeds import localcache
from bridgenote.notes.models import Note
from tests.engage.conftest import make_note
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/notes/1/"}


@pytest.fixture(autouse=True)
def _fresh_memos() -> Any:
    localcache.clear()
    yield
    localcache.clear()


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _thread_with_replies(author: Any, note: Note, replier: Any, count: int) -> Comment:
    root = services.comment_create(author=author, note=note, body="root 评论", check_rate=False)
    for i in range(count):
        services.comment_create(
            author=replier, note=note, body=f"reply {i}", reply_to=root, check_rate=False
        )
    return root


def _normalised(html: str) -> list[str]:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "csrf", html)
    html = re.sub(r'X-CSRFToken": "[^"]+"', "csrf", html)
    return [line.strip() for line in html.splitlines() if line.strip()]


def _both_ways(client: Client, path: str, settings: Any) -> tuple[Any, Any]:
    """The page through the plain path (memos off) and the assembled one (twice: the second
    from the memos)."""
    settings.FEEDS_RENDER_CACHE_SECONDS = 0
    plain = client.get(path)
    settings.FEEDS_RENDER_CACHE_SECONDS = 120
    client.get(path)
    return plain, client.get(path)


@pytest.mark.parametrize("viewer", ["reader", "anonymous", "commenter"])
def test_assembled_page_is_the_plain_page(
    viewer: str, ava_user: Any, liwei_user: Any, bob: Any, settings: Any
) -> None:
    note = make_note(ava_user, title="Selfie 自拍", body="#selfie hello @liwei 你好")
    root = _thread_with_replies(liwei_user, note, bob, 5)
    services.comment_pin(user=ava_user, comment=root)
    services.comment_create(author=bob, note=note, body="second 第二", check_rate=False)
    services.like_create(user=liwei_user, note=note)
    services.follow_create(follower=liwei_user, followee=ava_user)
    services.comment_like_create(user=liwei_user, comment=root)
    user = {"reader": liwei_user, "anonymous": None, "commenter": bob}[viewer]
    plain, assembled = _both_ways(client_for(user), f"/notes/{note.pk}/", settings)
    assert plain.status_code == assembled.status_code == 200
    assert _normalised(plain.content.decode()) == _normalised(assembled.content.decode())
    html = assembled.content.decode()
    assert html.count('class="more-replies"') == 1  # 5 replies: 3 shown, then the link
    if user is not None:
        csrf = assembled.cookies["csrftoken"].value if "csrftoken" in assembled.cookies else None
        assert "bnslot" not in html
        assert csrf is None or 'name="csrfmiddlewaretoken"' in html


def test_assembled_page_shows_the_readers_own_state(
    ava_user: Any, liwei_user: Any, bob: Any, settings: Any
) -> None:
    note = make_note(ava_user)
    services.like_create(user=liwei_user, note=note)
    settings.FEEDS_RENDER_CACHE_SECONDS = 120
    liked = client_for(liwei_user).get(f"/notes/{note.pk}/").content.decode()
    not_liked = client_for(bob).get(f"/notes/{note.pk}/").content.decode()
    assert 'class="action like on"' in liked
    assert 'class="action like on"' not in not_liked


def test_assembled_page_follows_blocks_audience_and_moderation_at_once(
    ava_user: Any, liwei_user: Any, bob: Any, settings: Any
) -> None:
    settings.FEEDS_RENDER_CACHE_SECONDS = 120
    note = make_note(ava_user)
    client = client_for(liwei_user)
    assert client.get(f"/notes/{note.pk}/").status_code == 200
    services.block_create(blocker=ava_user, blocked=liwei_user)
    assert client.get(f"/notes/{note.pk}/").status_code == 404
    services.block_delete(blocker=ava_user, blocked=liwei_user)
    assert client.get(f"/notes/{note.pk}/").status_code == 200
    Note.objects.filter(pk=note.pk).update(visibility=Note.Visibility.FOLLOWERS)
    assert client.get(f"/notes/{note.pk}/").status_code == 404
    services.follow_create(follower=liwei_user, followee=ava_user)
    assert client.get(f"/notes/{note.pk}/").status_code == 200
    Note.objects.filter(pk=note.pk).update(moderation=Note.Moderation.REMOVED)
    assert client.get(f"/notes/{note.pk}/").status_code == 404
    assert client_for(ava_user).get(f"/notes/{note.pk}/").status_code == 200  # the author
    assert client.get("/notes/99999999999999999999/").status_code == 404


def test_comments_of_a_blocked_account_disappear_on_the_next_view(
    ava_user: Any, liwei_user: Any, bob: Any, settings: Any
) -> None:
    settings.FEEDS_RENDER_CACHE_SECONDS = 120
    note = make_note(ava_user)
    services.comment_create(author=bob, note=note, body="bob was here", check_rate=False)
    client = client_for(liwei_user)
    assert "bob was here" in client.get(f"/notes/{note.pk}/").content.decode()
    services.block_create(blocker=liwei_user, blocked=bob)
    assert "bob was here" not in client.get(f"/notes/{note.pk}/").content.decode()


def test_held_comment_is_shown_to_its_author_only(
    ava_user: Any, liwei_user: Any, bob: Any, settings: Any
) -> None:
    settings.FEEDS_RENDER_CACHE_SECONDS = 120
    note = make_note(ava_user)
    held = services.comment_create(author=bob, note=note, body="held one", check_rate=False)
    Comment.objects.filter(pk=held.pk).update(moderation="pending")
    assert "held one" in client_for(bob).get(f"/notes/{note.pk}/").content.decode()
    assert "held one" not in client_for(liwei_user).get(f"/notes/{note.pk}/").content.decode()


def test_a_held_reply_alone_under_its_root_is_shown_to_its_author_only(
    ava_user: Any, liwei_user: Any, bob: Any, settings: Any
) -> None:
    """A held reply does not count in its root's reply count (readers don't see it), yet its
    author sees it under the root, also when it is the root's only reply."""
    settings.FEEDS_RENDER_CACHE_SECONDS = 120
    note = make_note(ava_user)
    root = services.comment_create(author=ava_user, note=note, body="root", check_rate=False)
    reply = services.comment_create(
        author=bob, note=note, body="held reply", reply_to=root, check_rate=False
    )
    services.comments_moderation_set(comment_ids=[reply.pk], state="pending")
    assert Comment.objects.get(pk=root.pk).reply_count == 0
    assert "held reply" in client_for(bob).get(f"/notes/{note.pk}/").content.decode()
    assert "held reply" not in client_for(liwei_user).get(f"/notes/{note.pk}/").content.decode()


def test_a_new_like_count_and_edit_show_at_once(
    ava_user: Any, liwei_user: Any, bob: Any, settings: Any
) -> None:
    settings.FEEDS_RENDER_CACHE_SECONDS = 120
    note = make_note(ava_user, body="before the edit")
    client = client_for(bob)
    assert "before the edit" in client.get(f"/notes/{note.pk}/").content.decode()
    services.like_create(user=liwei_user, note=note)
    Note.objects.filter(pk=note.pk).update(body="after the edit")
    html = client.get(f"/notes/{note.pk}/").content.decode()
    assert "after the edit" in html and '<span class="count">1</span>' in html


def test_a_like_shows_at_once_without_rendering_the_article_again(
    ava_user: Any, liwei_user: Any, bob: Any, settings: Any
) -> None:
    from django.template import loader

    note = make_note(ava_user, title="Counters 计数", body="the article")
    client = client_for(bob)
    settings.FEEDS_RENDER_CACHE_SECONDS = 120
    client.get(f"/notes/{note.pk}/")
    rendered: list[str] = []
    real = loader.render_to_string

    def counting(name: Any, *args: Any, **kwargs: Any) -> str:
        rendered.append(str(name))
        return real(name, *args, **kwargs)

    services.like_create(user=liwei_user, note=note)
    services.comment_create(author=liwei_user, note=note, body="first", check_rate=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("bridgenote.notes.page.render_to_string", counting)
        assembled = client.get(f"/notes/{note.pk}/")
    assert "notes/_detail_main.html" not in rendered  # the article came from its memo
    assert "engage/_note_actions.html" in rendered  # the counters did not
    plain, _again = _both_ways(client, f"/notes/{note.pk}/", settings)
    assert _normalised(assembled.content.decode()) == _normalised(plain.content.decode())
    assert '<span class="count">1</span>' in assembled.content.decode()


def test_thread_shows_first_replies_and_a_cursor(
    ava_user: Any, liwei_user: Any, ava_note: Note
) -> None:
    root = _thread_with_replies(ava_user, ava_note, liwei_user, queries.REPLIES_PREVIEW + 2)
    thread = queries.comment_thread(viewer=ava_user, note=ava_note)
    (shown,) = thread.roots
    preview = queries.REPLIES_PREVIEW
    assert [r.body for r in shown.reply_list] == [f"reply {i}" for i in range(preview)]
    assert shown.replies_cursor == shown.reply_list[-1].pk
    rest = queries.comment_replies(viewer=ava_user, root=root, cursor=shown.replies_cursor)
    assert [r.body for r in rest.items] == [f"reply {preview}", f"reply {preview + 1}"]
    assert rest.next_cursor is None


def test_thread_with_few_replies_has_no_cursor(
    ava_user: Any, liwei_user: Any, ava_note: Note
) -> None:
    _thread_with_replies(ava_user, ava_note, liwei_user, queries.REPLIES_PREVIEW)
    (shown,) = queries.comment_thread(viewer=None, note=ava_note).roots
    assert len(shown.reply_list) == queries.REPLIES_PREVIEW and shown.replies_cursor is None


def test_replies_pages_walk_every_reply_once(
    ava_user: Any, liwei_user: Any, ava_note: Note
) -> None:
    root = _thread_with_replies(ava_user, ava_note, liwei_user, 25)
    seen: list[str] = []
    cursor = queries.comment_thread(viewer=None, note=ava_note).roots[0].replies_cursor
    while cursor:
        page = queries.comment_replies(viewer=None, root=root, cursor=cursor)
        assert len(page.items) <= queries.REPLIES_PAGE
        seen += [r.body for r in page.items]
        cursor = page.next_cursor
    assert seen == [f"reply {i}" for i in range(queries.REPLIES_PREVIEW, 25)]


def test_replies_leave_out_blocked_deleted_and_held(
    ava_user: Any, liwei_user: Any, bob: Any, ava_note: Note
) -> None:
    root = _thread_with_replies(ava_user, ava_note, liwei_user, 2)
    mallory = UserFactory(handle="mallory")
    services.comment_create(
        author=mallory, note=ava_note, body="from mallory", reply_to=root, check_rate=False
    )
    gone = services.comment_create(
        author=bob, note=ava_note, body="deleted", reply_to=root, check_rate=False
    )
    services.comment_delete(user=bob, comment=gone)
    held = services.comment_create(
        author=bob, note=ava_note, body="held", reply_to=root, check_rate=False
    )
    Comment.objects.filter(pk=held.pk).update(moderation="pending")
    services.block_create(blocker=ava_user, blocked=mallory)
    page = queries.comment_replies(viewer=ava_user, root=root, cursor=None)
    bodies = [r.body for r in page.items]
    assert bodies == ["reply 0", "reply 1"]
    own = [r.body for r in queries.comment_replies(viewer=bob, root=root, cursor=None).items]
    assert own == ["reply 0", "reply 1", "from mallory", "held"]


def test_show_more_replies_view_htmx_and_plain(
    ava_user: Any, liwei_user: Any, ava_note: Note
) -> None:
    root = _thread_with_replies(ava_user, ava_note, liwei_user, queries.REPLIES_PREVIEW + 12)
    cursor = queries.comment_thread(viewer=None, note=ava_note).roots[0].replies_cursor
    client = client_for(liwei_user)
    part = client.get(f"/engage/comments/{root.pk}/replies?cursor={cursor}", **HTMX)
    html = part.content.decode()
    assert part.status_code == 200 and "<html" not in html
    assert html.count('class="comment"') == queries.REPLIES_PAGE
    first, last = queries.REPLIES_PREVIEW, queries.REPLIES_PREVIEW + queries.REPLIES_PAGE - 1
    assert f"reply {first}<" in html and f"reply {last}<" in html
    assert f"reply {last + 1}<" not in html
    assert "Show more replies" in html
    full = Client().get(f"/engage/comments/{root.pk}/replies?cursor={cursor}")
    assert full.status_code == 200 and "<html" in full.content.decode()
    assert "root 评论" in full.content.decode()


def test_show_more_replies_bad_input(ava_user: Any, liwei_user: Any, ava_note: Note) -> None:
    root = _thread_with_replies(ava_user, ava_note, liwei_user, 1)
    reply = Comment.objects.get(root=root)
    client = client_for(liwei_user)
    assert client.get(f"/engage/comments/{root.pk}/replies?cursor=abc").status_code == 400
    assert client.get(f"/engage/comments/{reply.pk}/replies").status_code == 404
    assert client.get("/engage/comments/99999999999999999999/replies").status_code == 404
    private = make_note(ava_user, visibility=Note.Visibility.PRIVATE)
    hidden = Comment.objects.create(note=private, author=ava_user, body="secret")
    assert client.get(f"/engage/comments/{hidden.pk}/replies").status_code == 404


def test_api_thread_and_replies(ava_user: Any, liwei_user: Any, ava_note: Note) -> None:
    root = _thread_with_replies(ava_user, ava_note, liwei_user, queries.REPLIES_PREVIEW + 1)
    client = client_for(liwei_user)
    thread = client.get(f"/api/engage/notes/{ava_note.pk}/comments").json()
    (item,) = thread["items"]
    assert len(item["replies"]) == queries.REPLIES_PREVIEW
    cursor = item["replies_next_cursor"]
    assert cursor == item["replies"][-1]["id"]
    more = client.get(f"/api/engage/comments/{root.pk}/replies?cursor={cursor}").json()
    assert [r["body"] for r in more["items"]] == [f"reply {queries.REPLIES_PREVIEW}"]
    assert more["next_cursor"] is None
    bad = client.get(f"/api/engage/comments/{root.pk}/replies?cursor=-1")
    assert bad.status_code == 400 and bad.json()["error"] == "bad_cursor"
    reply_id = more["items"][0]["id"]
    assert client.get(f"/api/engage/comments/{reply_id}/replies").status_code == 404


def test_assembled_gallery_bilingual_note_is_the_plain_page(
    ava_user: Any, liwei_user: Any, settings: Any
) -> None:
    from bridgenote.media.models import Attachment
    from bridgenote.notes.services import note_create
    from tests.notes.conftest import make_attachment

    first, second = make_attachment(ava_user), make_attachment(ava_user)
    Attachment.objects.filter(pk=second.pk).update(alt_text="A cat 一只猫")
    note = note_create(
        author=ava_user,
        title="Coffee in Chengdu",
        body="My favourite #coffee shop, ask @liwei",
        language="en",
        alt_language="zh",
        alt_title="成都的咖啡",
        alt_body="我最喜欢的咖啡店",
        attachment_ids=[first.id, second.id],
    )
    client = client_for(liwei_user)
    for version in ("", "?version=alt", "?version=main"):
        plain, assembled = _both_ways(client, f"/notes/{note.pk}/{version}", settings)
        assert plain.status_code == assembled.status_code == 200
        assert _normalised(plain.content.decode()) == _normalised(assembled.content.decode())
    html = assembled.content.decode()
    assert html.count('class="gallery-slide"') == 2 and "A cat 一只猫" in html
    assert 'class="mention"' in html and 'class="topic"' in html
