"""How the apps work together: notes with moderation, notifications, engagement, translation."""

import pytest
from django.http import Http404

from bridgenote.engage.apps import comment_texts
from bridgenote.engage.models import Block
from bridgenote.engage.services import comment_create, like_create
from bridgenote.moderation.models import ModerationCase
from bridgenote.moderation.services import rule_save
from bridgenote.notes.models import Note
from bridgenote.notes.services import NoteError, note_create, note_delete
from bridgenote.notify.models import Notification
from tests.factories import UserFactory, ava, liwei
from tests.notes.conftest import make_attachment
from tests.translate.conftest import _fake_server, fake, llm  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def published(author, **fields):
    note = Note.objects.create(author=author, status="published", media_ready=True, **fields)
    return note


@pytest.fixture
def rules(db):
    moderator = UserFactory(is_moderator=True)

    def add(term, action, **extra):
        return rule_save(term=term, action=action, category="other", created_by=moderator, **extra)

    return add


def test_a_refused_term_stops_the_note_and_says_why_on_the_field(rules):
    rules("scamcoin", "refuse")
    with pytest.raises(NoteError) as error:
        author = ava()
        photo = make_attachment(author)
        note_create(
            author=author, title="hi", body="buy ＳＣＡＭＣＯＩＮ now", attachment_ids=[photo.id]
        )
    assert "body" in error.value.message_dict
    assert "“ＳＣＡＭＣＯＩＮ” isn't allowed" in error.value.message_dict["body"][0]
    assert not Note.objects.exists()


def test_a_held_term_puts_the_note_under_review_with_a_case(
    rules, django_capture_on_commit_callbacks
):
    rules("微信", "hold")
    with django_capture_on_commit_callbacks(execute=True):
        author = liwei()
        photo = make_attachment(author)
        note = note_create(
            author=author, title="加我", body="加我 微 信 聊", attachment_ids=[photo.id]
        )
    note.refresh_from_db()
    assert note.moderation == Note.Moderation.PENDING
    assert ModerationCase.objects.filter(note=note).exists()


def test_a_draft_is_not_moderated_until_it_is_published(rules):
    rules("scamcoin", "refuse")
    draft = note_create(author=ava(), title="draft", body="scamcoin", publish=False)
    assert draft.status == Note.Status.DRAFT


def test_mentioned_people_are_told_once_the_note_is_out(django_capture_on_commit_callbacks):
    author, mentioned = ava(), liwei()
    with django_capture_on_commit_callbacks(execute=True):
        photo = make_attachment(author)
        note_create(author=author, title="hello", body="thanks @liwei!", attachment_ids=[photo.id])
    # Its photo is ready, so the note is out at once: 李伟 hears about it.
    assert Notification.objects.filter(recipient=mentioned, verb="mention").count() == 1


def test_deleting_a_note_takes_its_likes_off_the_authors_profile():
    author, fan = ava(), liwei()
    note = published(author, title="t", body="b")
    like_create(user=fan, note=note)
    author.profile.refresh_from_db()
    assert author.profile.likes_and_collects_count == 1
    note_delete(note=note)
    author.profile.refresh_from_db()
    assert author.profile.likes_and_collects_count == 0


def test_a_comment_is_translatable_only_by_those_who_can_see_it():
    author, reader, stranger = ava(), liwei(), UserFactory()
    note = published(author, title="t", body="b")
    comment = comment_create(author=reader, note=note, body="你的 nose-stud 好酷", check_rate=False)
    assert comment_texts(stranger, comment.id) == {"body": "你的 nose-stud 好酷"}
    Block.objects.create(blocker=reader, blocked=stranger)
    with pytest.raises(Http404):
        comment_texts(stranger, comment.id)


@pytest.mark.usefixtures("llm")
def test_the_comment_thread_offers_pinyin_and_translation(client):
    author, reader = ava(), liwei()
    note = published(author, title="t", body="b")
    comment = comment_create(author=reader, note=note, body="我想喝咖啡", check_rate=False)
    client.force_login(author)
    page = client.get(f"/notes/{note.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"/translate/o/comment/{comment.id}/body/" in page
    assert f"/translate/o/comment/{comment.id}/body/text/?pinyin=1" in page
    answer = client.post(f"/translate/o/comment/{comment.id}/body/", HTTP_ACCEPT_LANGUAGE="en")
    assert "I want to drink coffee" in answer.content.decode()


def test_a_published_note_reaches_followers_and_leaves_when_deleted(
    client, django_capture_on_commit_callbacks
):
    from bridgenote.engage.services import follow_create

    author, follower = ava(), liwei()
    with django_capture_on_commit_callbacks(execute=True):
        follow_create(follower=follower, followee=author)
    with django_capture_on_commit_callbacks(execute=True):
        photo = make_attachment(author)
        note = note_create(
            author=author, title="hello", body="first note", attachment_ids=[photo.id]
        )
    client.force_login(follower)
    assert f"/notes/{note.id}/" in client.get("/following/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        note_delete(note=note)
    assert f"/notes/{note.id}/" not in client.get("/following/").content.decode()


def test_a_note_held_for_review_stays_out_of_followers_feeds(
    client, rules, django_capture_on_commit_callbacks
):
    from bridgenote.engage.services import follow_create

    rules("scamcoin", "hold")
    author, follower = ava(), liwei()
    with django_capture_on_commit_callbacks(execute=True):
        follow_create(follower=follower, followee=author)
    with django_capture_on_commit_callbacks(execute=True):
        photo = make_attachment(author)
        note = note_create(
            author=author, title="hi", body="scamcoin deal", attachment_ids=[photo.id]
        )
    client.force_login(follower)
    assert f"/notes/{note.id}/" not in client.get("/following/").content.decode()


def test_a_new_note_is_found_by_search_without_a_reindex(
    client, django_capture_on_commit_callbacks
):
    author = liwei()
    with django_capture_on_commit_callbacks(execute=True):
        photo = make_attachment(author)
        note = note_create(
            author=author, title="成都", body="我最喜欢的咖啡店", attachment_ids=[photo.id]
        )
    assert f"/notes/{note.id}/" in client.get("/search/", {"q": "咖啡"}).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        note_delete(note=note)
    assert f"/notes/{note.id}/" not in client.get("/search/", {"q": "咖啡"}).content.decode()


def test_a_new_account_is_found_by_people_search(client, django_capture_on_commit_callbacks):
    from bridgenote.accounts.services import profile_create

    user = UserFactory.build(handle="mei_chengdu")
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        profile_create(user=user, ip="")
    page = client.get("/search/", {"q": "mei_chengdu", "type": "people"}).content.decode()
    assert "@mei_chengdu" in page
