"""Posting, engaging, following, searching, translating and reading timelines and trends with
the real Mastodon.py client, end to end."""

import datetime as dt
import io
import secrets

import pytest
from django.utils import timezone
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonNotFoundError
from oauth2_provider.models import AccessToken, set_token_value

from bridgenote.api.models import OAuthApplication
from bridgenote.engage.models import Follow
from bridgenote.feeds.services import discover_refresh
from bridgenote.notes.models import Note
from bridgenote.search.services import search_index_user
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


def test_follow_search_trends_and_translate(connect, llm):
    me, friend = ava(), liwei()
    client, other = connect(me), connect(friend)

    relationship = client.account_follow(friend.pk)
    assert relationship["following"] is True
    assert [a["id"] for a in client.account_following(me.pk)] == [str(friend.pk)]
    assert client.account_relationships(friend.pk)[0]["following"] is True

    def upload():
        return other.media_post(
            io.BytesIO(photo((320, 240))), mime_type="image/jpeg", synchronous=True
        )

    oolong = other.status_post("Oolong tasting\nThe best oolong #oolong", media_ids=[upload()])
    coffee = other.status_post(
        "我想喝咖啡\n今天天气很好，我们去公园散步吧。", media_ids=[upload()], language="zh"
    )
    assert [s["id"] for s in client.timeline_home()] == [coffee["id"], oolong["id"]]
    assert [s["id"] for s in client.account_statuses(friend.pk)] == [coffee["id"], oolong["id"]]

    found = client.search_v2("oolong")
    assert [s["id"] for s in found["statuses"]] == [oolong["id"]]
    assert [t["name"] for t in found["hashtags"]] == ["oolong"]
    search_index_user(user_id=friend.pk)  # the factories make users without the sign-up hooks
    people = client.search_v2("liwei", result_type="accounts")
    assert [a["id"] for a in people["accounts"]] == [str(friend.pk)]
    assert people["statuses"] == []

    assert client.instance_translation_languages()["zh"] == ["en"]
    translated = client.status_translate(coffee["id"], lang="en")
    assert "I want to drink coffee" in translated["content"]
    assert "let&#x27;s walk in the park" in translated["content"]
    assert translated["detected_source_language"] == "zh"
    assert translated["provider"] == "fake-llm"

    discover_refresh()
    assert "oolong" in [t["name"] for t in client.trending_tags()]
    assert {s["id"] for s in client.trending_statuses()} == {oolong["id"], coffee["id"]}

    assert client.account_unfollow(friend.pk)["following"] is False
    assert client.timeline_home() == []
    assert client.account_mute(friend.pk)["muting"] is True
    assert client.account_block(friend.pk)["blocking"] is True
    assert client.account_unblock(friend.pk)["blocking"] is False
    with pytest.raises(MastodonAPIError) as refused:
        client.account_follow(me.pk)
    assert refused.value.args[1] == 403
