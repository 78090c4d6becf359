from __future__ import annotations

import json
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from bridgenote.media.queries import attachments_for_owner
from bridgenote.media.services import attachment_upload
from tests.factories import ava, liwei
from tests.media.conftest import photo, upload

pytestmark = pytest.mark.django_db


def test_uploader_partial_rerenders_uploaded_attachments_in_order(
    django_capture_on_commit_callbacks: Any,
) -> None:
    owner = ava()
    with django_capture_on_commit_callbacks(execute=True):
        first = attachment_upload(owner=owner, file=upload(photo()))
        second = attachment_upload(owner=owner, file=upload(photo()))
    someone_elses = attachment_upload(owner=liwei(), file=upload(photo()))
    posted = [str(second.id), "junk", str(someone_elses.id), str(first.id)]
    attachments = attachments_for_owner(owner=owner, attachment_ids=posted)
    request = RequestFactory().get("/")
    request.user = owner

    html = render_to_string(
        "media/_uploader.html",
        {"attachments": attachments, "cover_id": first.id, "media_errors": ["Too long"]},
        request=request,
    )

    assert [a.id for a in attachments] == [second.id, first.id]
    assert html.index(f'value="{second.id}"') < html.index(f'value="{first.id}"')
    assert f'name="cover_id" value="{first.id}"' in html
    assert "Too long" in html
    payload = html.split('id="bn-uploader-initial" type="application/json">')[1].split("</script>")[
        0
    ]
    data = json.loads(payload)
    assert [item["id"] for item in data] == [str(second.id), str(first.id)]
    assert data[0]["state"] == "ready" and data[0]["renditions"]["card"]["url"]
