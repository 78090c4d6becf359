"""Errors the engagement services raise; views and the API turn them into a message or
``{"error": code, "message": text}`` with the status below. Never a 500."""

from __future__ import annotations

from django.utils.functional import Promise


class EngageError(Exception):
    status = 400

    def __init__(self, code: str, message: str | Promise) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message


class Invalid(EngageError):
    """The input is wrong (empty or over-long comment, bad board name, forged cursor)."""

    status = 400


class Forbidden(EngageError):
    """The viewer may see the thing but may not do this to it (someone else's board)."""

    status = 403


class NotFound(EngageError):
    """Missing, or not visible to the viewer (a hidden thing looks missing)."""

    status = 404
