"""Sending text messages. The backend is chosen by ``settings.SMS_BACKEND``.

- ``"console"`` (default): writes the message to the log and keeps the last few in the cache,
  where the local-only dev outbox page (``accounts:dev_outbox``) shows them, so a fresh
  instance works without an SMS provider.
- ``"http"``: a Twilio-style HTTP API: ``POST SMS_HTTP_URL`` with the form fields
  ``To``, ``From``, ``Body`` and HTTP basic auth ``SMS_HTTP_ACCOUNT:SMS_HTTP_TOKEN``. For Twilio
  the URL is ``https://api.twilio.com/2010-04-01/Accounts/<sid>/Messages.json``.

Every failure surfaces as :class:`SMSError`, which callers turn into "could not send".
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import httpx
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

log = logging.getLogger(__name__)

OUTBOX_KEY = "accounts:sms-outbox"
OUTBOX_SIZE = 20
HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class SMSError(Exception):
    """The message could not be handed to the provider."""


class Backend(Protocol):
    def send(self, *, to: str, body: str) -> None: ...


class ConsoleBackend:
    """Logs each message and keeps the recent ones for the dev outbox page."""

    def send(self, *, to: str, body: str) -> None:
        log.info("sms to=%s body=%r", to, body)
        messages = [
            {"to": to, "body": body, "sent_at": timezone.now().isoformat()},
            *cache.get(OUTBOX_KEY, []),
        ]
        cache.set(OUTBOX_KEY, messages[:OUTBOX_SIZE], timeout=24 * 3600)


class HTTPBackend:
    """A Twilio-compatible REST provider."""

    def __init__(self, *, url: str, account: str, token: str, sender: str) -> None:
        if not url:
            raise SMSError("SMS_HTTP_URL is not configured")
        self.url, self.auth, self.sender = url, (account, token), sender

    def send(self, *, to: str, body: str) -> None:
        try:
            response = httpx.post(
                self.url,
                data={"To": to, "From": self.sender, "Body": body},
                auth=self.auth,
                timeout=HTTP_TIMEOUT,
            )
        except httpx.HTTPError as exc:
            log.warning("sms provider unreachable: %s", exc)
            raise SMSError(f"provider unreachable: {exc}") from exc
        if response.status_code >= 400:
            log.warning("sms provider refused: %s %s", response.status_code, response.text[:200])
            raise SMSError(f"provider answered {response.status_code}")


def get_backend() -> Backend:
    if settings.SMS_BACKEND == "http":
        return HTTPBackend(
            url=settings.SMS_HTTP_URL,
            account=settings.SMS_HTTP_ACCOUNT,
            token=settings.SMS_HTTP_TOKEN,
            sender=settings.SMS_HTTP_FROM,
        )
    return ConsoleBackend()


def send_sms(*, to: str, body: str) -> None:
    """Send ``body`` to the E.164 number ``to``; raises SMSError when it cannot be sent."""
    get_backend().send(to=to, body=body)


def outbox() -> list[dict[str, Any]]:
    """The console backend's recent messages, newest first."""
    return list(cache.get(OUTBOX_KEY, []))
