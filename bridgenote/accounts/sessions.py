"""The session engine (``SESSION_ENGINE``): Django's database sessions, loaded cheaply.

Django's database engine loads a session with an ORM ``get``: building and compiling that
query costs several hundred Python calls on every signed-in request, far more than its
indexed look-up. This engine runs the same look-up as one precompiled query
(``core/fastsql.py``) and is otherwise Django's: the same table, the same signed and encoded
data, the same saving, creation, deletion and expiry. Nothing is cached: a session deleted by
logging out, by a password change elsewhere or by a suspension (``moderation.services``) is
gone on the very next request, in every process.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from bridgenote.core.fastsql import Precompiled

_SESSION = Precompiled(
    lambda key: Session.objects.filter(session_key=key).values_list("session_data", "expire_date")
)


class SessionStore(DatabaseSessionStore):
    def load(self) -> dict[str, Any]:
        key = self.session_key
        rows = _SESSION.rows(key=key) if isinstance(key, str) else []
        if not rows or rows[0][1] <= timezone.now():
            # Unknown or expired: as Django's engine, forget the key (a new one is made if
            # the session is written to).
            self._session_key = None
            return {}
        data: dict[str, Any] = self.decode(rows[0][0])
        return data
