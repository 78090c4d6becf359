"""Posting, engaging and reading timelines with the real Mastodon.py client, end to end."""

import datetime as dt
import io
import secrets

import pytest
from django.utils import timezone
from mastodon import Mastodon
from mastodon.errors import MastodonNotFoundError
from oauth2_provider.models import AccessToken, set_token_value

from bridgenote.api.models import OAuthApplication
from bridgenote.engage.models import Follow
from bridgenote.notes.models import Note
from tests.factories import ava, liwei
from tests.media.conftest import photo

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def connect(live_server, settings):
    settings.SITE_URL = live_server.url
    app = OAuthApplication.objects.create(
        name="Tusky", redirect_uris="urn:ietf:wg:oauth:2.0:oob", scopes="read write follow",
        client_type="confidential", authorization_grant_type="authorization-code",
    )  # fmt: skip

    def make(user) -> Mastodon:
        raw = secrets.token_urlsafe(32)
        token = AccessToken(
            user=user, application=app, scope="read write follow",
            expires=timezone.now() + dt.timedelta(days=1),
        )  # fmt: skip
        set_token_value(token, raw)
        token.save()
        return Mastodon(access_token=raw, api_base_url=live_server.url, version_check_mode="none")

    return make


def test_post_with_two_images_engage_reply_read_timelines_and_delete(connect):
    me, friend = ava(), liwei()
    Follow.objects.create(follower=friend, followee=me)
    client, other = connect(me), connect(friend)

    uploads = [
        client.media_post(io.BytesIO(photo((480 + i * 10, 360))), mime_type="image/jpeg",
                          description=f"Photo {i}", synchronous=True)
        for i in range(2)
    ]  # fmt: skip
    assert all(m["url"] for m in uploads)
    status = client.status_post(
        "Tea time\nOolong in the garden #tea", media_ids=uploads, language="en"
    )
    assert [m["id"] for m in status["media_attachments"]] == [m["id"] for m in uploads]
    assert status["media_attachments"][1]["description"] == "Photo 1"
    assert status["language"] == "en"
    assert status["tags"][0]["name"] == "tea"
    note = Note.objects.get(pk=status["id"])
    assert (note.title, note.body) == ("Tea time", "Oolong in the garden #tea")

    assert other.status_favourite(status["id"])["favourited"] is True
    assert other.status_bookmark(status["id"])["bookmarked"] is True
    assert [a["username"] for a in client.status_favourited_by(status["id"])] == ["liwei"]
    reply = other.status_post("Looks lovely", in_reply_to_id=status["id"])
    assert reply["in_reply_to_id"] == status["id"]
    context = client.status_context(status["id"])
    assert [s["id"] for s in context["descendants"]] == [reply["id"]]
    assert client.status(status["id"])["replies_count"] == 1
    assert [s["id"] for s in other.favourites()] == [status["id"]]
    assert [s["id"] for s in other.bookmarks()] == [status["id"]]

    more = [
        client.status_post(f"Note {i}", media_ids=[client.media_post(
            io.BytesIO(photo((200, 150))), mime_type="image/jpeg", synchronous=True)])
        for i in range(2)
    ]  # fmt: skip
    home = other.timeline_home(limit=2)
    assert [s["id"] for s in home] == [more[1]["id"], more[0]["id"]]
    older = other.fetch_next(home)
    assert [s["id"] for s in older] == [status["id"]]
    public = client.timeline_public(limit=2)
    assert [s["id"] for s in public] == [more[1]["id"], more[0]["id"]]
    assert [s["id"] for s in client.fetch_next(public)] == [status["id"]]
    assert [s["id"] for s in client.timeline_hashtag("tea")] == [status["id"]]

    client.status_delete(status["id"])
    with pytest.raises(MastodonNotFoundError):
        other.status(status["id"])
    assert [s["id"] for s in client.timeline_hashtag("tea")] == []
