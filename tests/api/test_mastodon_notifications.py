"""Notifications and markers of the Mastodon API."""

import re

import pytest

from bridgenote.api.models import Marker
from bridgenote.engage.services import comment_create, follow_create, like_create
from bridgenote.notify.models import Notification
from tests.api.test_mastodon_statuses import note_of
from tests.factories import UserFactory, ava, liwei

pytestmark = pytest.mark.django_db


def test_notifications_map_likes_follows_and_comments(client, bearer):
    me, li = ava(), liwei()
    note = note_of(me)
    follow_create(follower=li, followee=me)
    like_create(user=li, note=note)
    comment = comment_create(author=li, note=note, body="Lovely")
    answer = client.get("/api/v1/notifications", **bearer(me, "read:notifications"))
    assert answer.status_code == 200
    body = answer.json()
    assert [n["type"] for n in body] == ["mention", "favourite", "follow"]
    assert body[0]["status"]["id"] == str(comment.pk)
    assert body[0]["status"]["in_reply_to_id"] == str(note.pk)
    assert body[1]["status"]["id"] == str(note.pk)
    assert "status" not in body[2]
    assert all(n["account"]["username"] == "liwei" for n in body)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body[0]["created_at"])
    only = client.get("/api/v1/notifications", {"types[]": ["follow"]},
                      **bearer(me, "read:notifications")).json()  # fmt: skip
    assert [n["type"] for n in only] == ["follow"]
    without = client.get("/api/v1/notifications", {"exclude_types[]": ["mention", "follow"]},
                         **bearer(me, "read:notifications")).json()  # fmt: skip
    assert [n["type"] for n in without] == ["favourite"]


def test_notifications_paginate_dismiss_and_clear(client, bearer):
    me = ava()
    fans = [UserFactory() for _ in range(3)]
    for fan in fans:
        follow_create(follower=fan, followee=me)
    headers = bearer(me, "read:notifications write:notifications")
    first = client.get("/api/v1/notifications", {"limit": 2}, **headers)
    assert [n["account"]["id"] for n in first.json()] == [str(fans[2].pk), str(fans[1].pk)]
    next_url = re.search(r'<([^>]+)>; rel="next"', first["Link"]).group(1)
    rest = client.get(next_url.split("testserver")[-1], **headers).json()
    assert [n["account"]["id"] for n in rest] == [str(fans[0].pk)]
    dismissed = client.post(f"/api/v1/notifications/{rest[0]['id']}/dismiss", **headers)
    assert dismissed.status_code == 200
    assert not Notification.objects.filter(pk=rest[0]["id"]).exists()
    assert client.get("/api/v1/notifications/unread_count", **headers).json() == {"count": 2}
    assert client.post("/api/v1/notifications/clear", **headers).status_code == 200
    assert client.get("/api/v1/notifications", **headers).json() == []


def test_someone_elses_notification_is_404(client, bearer):
    me, li = ava(), liwei()
    follow_create(follower=me, followee=li)
    theirs = Notification.objects.get(recipient=li)
    headers = bearer(me, "read:notifications write:notifications")
    assert client.get(f"/api/v1/notifications/{theirs.pk}", **headers).status_code == 404
    assert client.post(f"/api/v1/notifications/{theirs.pk}/dismiss", **headers).status_code == 404
    assert Notification.objects.filter(pk=theirs.pk).exists()


def test_markers_are_saved_versioned_and_read(client, bearer):
    me, li = ava(), liwei()
    follow_create(follower=li, followee=me)
    headers = bearer(me)
    saved = client.post("/api/v1/markers", {"home": {"last_read_id": "123"}},
                        content_type="application/json", **headers)  # fmt: skip
    assert saved.json()["home"]["last_read_id"] == "123"
    assert saved.json()["home"]["version"] == 1
    again = client.post("/api/v1/markers", {"home[last_read_id]": "456",
                        "notifications[last_read_id]": "9"}, **headers)  # fmt: skip
    assert again.json()["home"]["version"] == 2
    assert not Notification.objects.filter(recipient=me, is_read=False).exists()
    read = client.get("/api/v1/markers", {"timeline[]": ["home"]}, **headers).json()
    assert list(read) == ["home"]
    assert read["home"]["last_read_id"] == "456"
    bad = client.post("/api/v1/markers", {"home": {"last_read_id": "x"}},
                      content_type="application/json", **headers)  # fmt: skip
    assert bad.status_code == 422
    assert Marker.objects.get(user=me, timeline="home").last_read_id == 456
