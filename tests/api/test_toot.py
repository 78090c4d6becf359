"""The ``toot`` command-line client against a live server: log in through its browser flow,
then post a status with a photo.

toot is GPL-licensed: it is a test-only dependency (pyproject's ``test`` extra), run here as
a separate process and never imported by Bridgenote or by this test.
"""

import html
import os
import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.test import Client

from bridgenote.notes.models import Note
from tests.factories import ava
from tests.media.conftest import photo

pytestmark = pytest.mark.django_db(transaction=True)


def toot(*args: str, env: dict[str, str], **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "toot", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        **kwargs,
    )


def allow_in_the_browser(user, url: str) -> str:
    """What the user does with the URL toot prints: open it signed in, allow, copy the code."""
    parts = urlsplit(url)
    browser = Client()
    browser.force_login(user)
    page = browser.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200, page.content[:500]
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
    fields = {name: html.unescape(value) for name, value in hidden}
    assert fields["client_id"] and fields["redirect_uri"] == "urn:ietf:wg:oauth:2.0:oob"
    answer = browser.post(f"{parts.path}?{parts.query}", {**fields, "allow": "Authorize"})
    assert answer.status_code == 200
    return re.search(r'id="authorization-code"[^>]*value="([^"]+)"', answer.text).group(1)


def test_toot_logs_in_and_posts_a_status_with_a_photo(live_server, settings, tmp_path):
    settings.SITE_URL = live_server.url
    user = ava()
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # toot's config.json, not the user's
        "BROWSER": "true",  # never open a real browser
        "PYTHONUNBUFFERED": "1",
        "NO_COLOR": "1",
    }

    login = toot("login", "--instance", live_server.url, env=env)
    assert login.stdout is not None
    seen = []
    for line in login.stdout:  # toot registers the app, then prints the URL to open
        seen.append(line)
        if line.startswith(f"{live_server.url}/oauth/authorize"):
            break
    else:
        login.kill()
        pytest.fail("toot printed no login URL:\n" + "".join(seen))
    code = allow_in_the_browser(user, line.strip())
    # "Open link in default browser?" no; then the authorization code.
    output, _ = login.communicate(f"n\n{code}\n", timeout=120)
    assert login.returncode == 0, "".join(seen) + output
    assert "Successfully logged in" in output

    whoami = subprocess.run(
        [sys.executable, "-m", "toot", "whoami"],
        env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert whoami.returncode == 0, whoami.stdout + whoami.stderr
    assert "@ava" in whoami.stdout

    picture = tmp_path / "tea.jpg"
    picture.write_bytes(photo((480, 360)))
    posted = subprocess.run(
        [sys.executable, "-m", "toot", "post", "Tea from toot\nOolong in the garden #tea",
         "--media", str(picture), "--description", "A cup of oolong", "--language", "en"],
        env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert posted.returncode == 0, posted.stdout + posted.stderr
    note = Note.objects.get(author=user)
    assert re.search(rf"Toot posted: \S+/notes/{note.pk}/", posted.stdout), posted.stdout
    assert (note.title, note.body, note.language) == (
        "Tea from toot",
        "Oolong in the garden #tea",
        "en",
    )
    assert note.attachments.get().alt_text == "A cup of oolong"
    assert [t.name for t in note.topics.all()] == ["tea"]
