"""The session engine (``SESSION_ENGINE``): Django's database sessions, with the account on
the row and loaded cheaply.

This is Django's documented way to extend the database engine: a model on
``AbstractBaseSession`` (``models.AccountSession``) with a ``user_id`` column, filled from the
session's data whenever the session is saved, so every log-in, key change (a password change
cycles the key) and log-out keeps it right, and ``services.sessions_end`` deletes an account's
sessions with one indexed query. Loading runs the engine's look-up as one precompiled query
(``core/fastsql.py``) instead of an ORM ``get`` compiled on every signed-in request, and that
query reads the account's user row too (a join on ``user_id``), which the authentication
middleware then uses instead of a second query: one round trip for both on every signed-in
request. The data, signing, saving, deletion and expiry are Django's. Nothing is cached: a
session deleted by logging out, by a password change elsewhere or by a suspension is gone on
the very next request, in every process, and the user row is the one read with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone

from bridgenote.accounts.models import AccountSession, User
from bridgenote.core.fastsql import Precompiled

# The user's columns, in the order User.from_db takes them.
USER_FIELDS = [field.attname for field in User._meta.concrete_fields]
_ID = USER_FIELDS.index("id")
# Values about the signed-in account that most pages show, read in the same query as the
# session (a round trip fewer per page): name -> a function making an expression over the
# session row's ``user_id`` (``OuterRef("user_id")`` in a subquery). Apps register theirs in
# ``AppConfig.ready`` (notify: the unread count); pages read them with ``account_value``.
ACCOUNT_VALUES: dict[str, Callable[[], Any]] = {}
_SESSION = Precompiled(
    lambda key: (
        AccountSession.objects.filter(session_key=key)
        .annotate(**{f"value_{i}": make() for i, make in enumerate(ACCOUNT_VALUES.values())})
        .values_list(
            "session_data",
            "expire_date",
            *(f"user__{field.name}" for field in User._meta.concrete_fields),
            *(f"value_{i}" for i in range(len(ACCOUNT_VALUES))),
        )
    )
)


class SessionStore(DatabaseSessionStore):
    _account: tuple[Any, ...] | None = None  # the user row read with the session

    @classmethod
    def get_model_class(cls) -> type[AccountSession]:
        return AccountSession

    def create_model_instance(self, data: dict[str, Any]) -> AccountSession:
        session = cast(AccountSession, super().create_model_instance(data))
        user_id = str(data.get(SESSION_KEY, ""))
        session.user_id = int(user_id) if user_id.isdigit() else None
        return session

    def load(self) -> dict[str, Any]:
        self._account = None
        key = self.session_key
        rows = _SESSION.rows(key=key) if isinstance(key, str) else []
        if not rows or rows[0][1] <= timezone.now():
            # Unknown or expired: as Django's engine, forget the key (a new one is made if
            # the session is written to).
            self._session_key = None
            return {}
        data: dict[str, Any] = self.decode(rows[0][0])
        self._account = rows[0][2:]
        return data

    def account(self, user_id: int) -> User | None:
        """The User ``user_id`` as read with this session (None: the session was not loaded
        yet, or its row names no such account: ask the database)."""
        row = self._account
        if row is None or row[_ID] != user_id:
            return None
        return User.from_db("default", USER_FIELDS, row[: len(USER_FIELDS)])

    def account_value(self, user_id: int, name: str) -> Any:
        """The value ``name`` of ``ACCOUNT_VALUES`` for the account ``user_id``, as read with
        this session at the start of the request (None: not read; ask the database)."""
        row = self._account
        if row is None or row[_ID] != user_id or name not in ACCOUNT_VALUES:
            return None
        return row[len(USER_FIELDS) + list(ACCOUNT_VALUES).index(name)]
