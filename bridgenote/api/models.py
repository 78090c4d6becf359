from __future__ import annotations

from urllib.parse import urlsplit

from django.db import models
from oauth2_provider.models import AbstractApplication

# Redirect URI schemes that can never be a safe place to send an authorization code.
FORBIDDEN_SCHEMES = {"javascript", "data", "vbscript", "file", "blob", "about"}
OOB_URI = "urn:ietf:wg:oauth:2.0:oob"


class OAuthApplication(AbstractApplication):
    """A client app registered through ``POST /api/v1/apps`` (Mastodon-style).

    Mastodon clients use one app for both the authorization-code and the client-credentials
    grant, and native apps register custom redirect schemes (``tusky://oauth``) or the
    out-of-band URI, so both rules differ from django-oauth-toolkit's defaults.
    """

    website: models.URLField[str, str] = models.URLField(blank=True)
    scopes: models.CharField[str, str] = models.CharField(max_length=1000, default="read")

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"

    def __str__(self) -> str:
        return self.name or self.client_id

    def get_allowed_schemes(self) -> list[str]:
        schemes = {urlsplit(uri).scheme for uri in self.redirect_uris.split()}
        return sorted(s for s in schemes if s and s not in FORBIDDEN_SCHEMES)

    def allows_grant_type(self, *grant_types: str) -> bool:
        return bool(
            {self.GRANT_AUTHORIZATION_CODE, self.GRANT_CLIENT_CREDENTIALS} & set(grant_types)
        )


class Marker(models.Model):
    """Where a Mastodon client stopped reading a timeline (``home`` or ``notifications``), so
    another of the user's clients can continue there. ``version`` grows with each save."""

    class Timeline(models.TextChoices):
        HOME = "home"
        NOTIFICATIONS = "notifications"

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="mastodon_markers"
    )
    timeline = models.CharField(max_length=16, choices=Timeline.choices)
    last_read_id = models.BigIntegerField()
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "timeline"], name="marker_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.timeline} at {self.last_read_id}"
