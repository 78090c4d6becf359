import base64
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from bridgenote.accounts import sms


class FakeProvider:
    """A Twilio-style provider on 127.0.0.1 that records what it receives."""

    def __init__(self, status=201, delay=0.0):
        self.requests = []
        self.status, self.delay = status, delay
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                provider.requests.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("Authorization", ""),
                        "type": self.headers.get("Content-Type", ""),
                        "form": {k: v[0] for k, v in parse_qs(body).items()},
                    }
                )
                time.sleep(provider.delay)
                try:
                    self.send_response(provider.status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"sid": "SM123", "status": "queued"}')
                except BrokenPipeError:
                    pass  # the client gave up (the timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/2010-04-01/Accounts/AC1/Messages.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider(settings):
    fake = FakeProvider()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = fake.url
    settings.SMS_HTTP_ACCOUNT = "AC1"
    settings.SMS_HTTP_TOKEN = "secret-token"
    settings.SMS_HTTP_FROM = "+15005550006"
    yield fake
    fake.close()


def test_http_backend_posts_the_twilio_form_with_basic_auth(provider):
    sms.send_sms(to="+12025550143", body="Your code is 123456")
    [request] = provider.requests
    assert request["path"] == "/2010-04-01/Accounts/AC1/Messages.json"
    assert request["type"].startswith("application/x-www-form-urlencoded")
    assert request["form"] == {
        "To": "+12025550143",
        "From": "+15005550006",
        "Body": "Your code is 123456",
    }
    assert request["auth"] == "Basic " + base64.b64encode(b"AC1:secret-token").decode()
    assert sms.outbox() == []


@pytest.mark.parametrize("status", [400, 401, 500, 503])
def test_http_backend_error_answer_raises_sms_error(provider, status):
    provider.status = status
    with pytest.raises(sms.SMSError):
        sms.send_sms(to="+12025550143", body="x")


def test_http_backend_unreachable_provider_raises_sms_error(settings):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = "http://127.0.0.1:9/closed"
    with pytest.raises(sms.SMSError):
        sms.send_sms(to="+12025550143", body="x")


def test_http_backend_slow_provider_times_out(provider, monkeypatch):
    import httpx

    provider.delay = 2
    monkeypatch.setattr(sms, "HTTP_TIMEOUT", httpx.Timeout(0.3))
    started = time.monotonic()
    with pytest.raises(sms.SMSError):
        sms.send_sms(to="+12025550143", body="x")
    assert time.monotonic() - started < 1.5


def test_http_backend_without_url_is_a_clear_error(settings):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = ""
    with pytest.raises(sms.SMSError, match="SMS_HTTP_URL"):
        sms.send_sms(to="+12025550143", body="x")


def test_console_backend_keeps_recent_messages_newest_first(settings):
    settings.SMS_BACKEND = "console"
    for i in range(sms.OUTBOX_SIZE + 3):
        sms.send_sms(to="+12025550143", body=f"message {i}")
    messages = sms.outbox()
    assert len(messages) == sms.OUTBOX_SIZE
    assert messages[0]["body"] == f"message {sms.OUTBOX_SIZE + 2}"
