"""The uploader widget in a real browser: several files, order, cover, errors, re-render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bridgenote.media.models import Attachment
from tests.factories import ava
from tests.media.conftest import heic, photo, stored_files, video

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.media.urls"),
]


def _ids(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#compose input[name=attachment_ids]", "nodes => nodes.map(n => n.value)"
    )


def _cover(page: Any) -> str:
    return page.eval_on_selector("#compose input[name=cover_id]", "n => n.value")


def test_uploader_uploads_reorders_picks_cover_and_survives_a_failed_submit(
    page_factory: Any, live_server: Any, login: Any, tmp_path: Path
) -> None:
    user = ava()
    files = []
    for name, data in (("a.jpg", photo((400, 300))), ("b.png", photo((300, 400), fmt="PNG")),
                       ("c.heic", heic((320, 240)))):  # fmt: skip
        path = tmp_path / name
        path.write_bytes(data)
        files.append(str(path))
    page = page_factory()
    login(page, user)
    page.goto(f"{live_server.url}/test-compose/")

    page.set_input_files("[data-uploader-input]", files)
    page.wait_for_function(
        "document.querySelectorAll('.bn-state[data-state=ready]').length === 3", timeout=20_000
    )
    uploaded = list(Attachment.objects.order_by("id").values_list("id", flat=True))
    first, second, third = (str(value) for value in uploaded)
    assert _ids(page) == [first, second, third]
    assert _cover(page) == first

    # Touch-friendly move: the first goes one later; then pick the third as the cover.
    page.locator(f"li[data-id='{first}'] [data-right]").click()
    assert _ids(page) == [second, first, third]
    page.locator(f"li[data-id='{third}'] [data-cover]").click()
    assert _cover(page) == third
    assert page.locator(f"li[data-id='{third}'] .bn-cover-badge").is_visible()

    # Drag and drop: the third before the second.
    page.locator(f"li[data-id='{third}'] .bn-thumb").drag_to(
        page.locator(f"li[data-id='{second}'] .bn-thumb"), target_position={"x": 5, "y": 20}
    )
    assert _ids(page) == [third, second, first]

    # A failed submission re-renders the widget with everything already uploaded.
    page.locator("#compose button[type=submit]").click()
    page.wait_for_selector("text=The title is too long.")
    page.wait_for_function("document.querySelectorAll('.bn-uploader-item').length === 3")
    assert _ids(page) == [third, second, first]
    assert _cover(page) == third
    assert page.locator(f"li[data-id='{third}'] .bn-thumb img").count() == 1

    # Remove deletes the upload on the server, files included.
    page.locator(f"li[data-id='{second}'] [data-remove]").click()
    page.wait_for_function("document.querySelectorAll('.bn-uploader-item').length === 2")
    assert _ids(page) == [third, first]
    page.wait_for_timeout(500)
    assert not Attachment.objects.filter(id=int(second)).exists()
    assert not [name for name in stored_files() if f"/{second}-" in name]


def test_uploader_shows_rules_and_server_errors_in_the_users_language(
    page_factory: Any, live_server: Any, login: Any, tmp_path: Path
) -> None:
    image, clip, fake = tmp_path / "a.jpg", tmp_path / "clip.mp4", tmp_path / "evil.jpg"
    image.write_bytes(photo((200, 150)))
    clip.write_bytes(video(seconds=1.0))
    fake.write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")
    page = page_factory(locale="zh-CN")
    login(page, ava())
    page.goto(f"{live_server.url}/test-compose/")

    page.set_input_files("[data-uploader-input]", [str(image)])
    page.wait_for_selector(".bn-state[data-state=ready]")
    page.set_input_files("[data-uploader-input]", [str(clip), str(fake)])

    errors = page.locator(".bn-error")
    errors.first.wait_for()
    page.wait_for_function("document.querySelectorAll('.bn-error').length === 2")
    texts = errors.all_inner_texts()
    assert "不能同时包含两者" in texts[0]  # a photo and a video: refused before uploading
    assert "不支持这个文件的格式" in texts[1]  # the server's message, in Chinese
    assert Attachment.objects.count() == 1
    assert len(_ids(page)) == 1
