# The people and notes the notification tests talk about are the engagement tests' own.
from tests.engage.conftest import ava_note, ava_user, bob, liwei_user, make_note  # noqa: F401
