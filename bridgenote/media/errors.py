"""Why an upload or its processing failed: a stable code and a translated message.

The code is what the database (``Attachment.error``) and the API's ``error`` field carry; the
message is rendered in the reader's language when it is shown, so a failure recorded by a
worker running in English still reads in Chinese for a Chinese-speaking author.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext

MESSAGES = {
    "no_file": lambda: gettext("Choose a photo or video to upload."),
    "empty_file": lambda: gettext("This file is empty."),
    "unsupported_type": lambda: gettext(
        "This file is not a supported photo or video. Use JPEG, PNG, WebP, GIF or HEIC photos, "
        "or MP4, MOV or WebM videos."
    ),
    "markup_in_file": lambda: gettext(
        "This file contains web page or script content and cannot be used as a photo or video."
    ),
    "corrupt_image": lambda: gettext(
        "This photo is damaged or incomplete. Try exporting it again."
    ),
    "image_too_many_pixels": lambda: (
        gettext("This photo is too large: at most %(megapixels)s megapixels are allowed.")
        % {"megapixels": settings.IMAGE_MAX_PIXELS // 1_000_000}
    ),
    "image_too_big": lambda: (
        gettext("This photo is too big: the limit is %(megabytes)s MB.")
        % {"megabytes": settings.UPLOAD_IMAGE_MAX_BYTES // (1024 * 1024)}
    ),
    "video_too_big": lambda: (
        gettext("This video is too big: the limit is %(megabytes)s MB.")
        % {"megabytes": settings.UPLOAD_VIDEO_MAX_BYTES // (1024 * 1024)}
    ),
    "video_too_long": lambda: (
        gettext("This video is too long: the limit is %(seconds)s seconds.")
        % {"seconds": settings.VIDEO_MAX_SECONDS}
    ),
    "corrupt_video": lambda: gettext("This video is damaged or cannot be read."),
    "video_no_picture": lambda: gettext("This file has no picture track: upload a video."),
    "rate_limited": lambda: gettext("You are uploading too fast. Wait a minute and try again."),
    "processing_failed": lambda: gettext(
        "This file could not be processed. Remove it and try again."
    ),
    "storage_unavailable": lambda: gettext(
        "The file could not be saved: storage is unavailable right now. Try again in a few minutes."
    ),
    "storage_error": lambda: gettext(
        "The file could not be saved because of a problem on our side. Try again later; if it "
        "keeps happening, tell the site's operators."
    ),
    "not_found": lambda: gettext("This photo or video does not exist."),
    "attached_to_note": lambda: gettext(
        "This photo or video belongs to a note: edit the note to remove it."
    ),
    "alt_text_too_long": lambda: (
        gettext("The description is too long: at most %(limit)s characters.") % {"limit": 1500}
    ),
}


def error_message(code: str) -> str:
    """The user-facing message for an error code, in the active language."""
    return MESSAGES.get(code, MESSAGES["processing_failed"])()


class MediaError(Exception):
    """A rejected upload or a failed processing step, with a code and a translated message."""

    def __init__(self, code: str) -> None:
        if code not in MESSAGES:
            raise ValueError(f"unknown media error code {code!r}")
        super().__init__(code)
        self.code = code

    @property
    def message(self) -> str:
        return error_message(self.code)

    def __str__(self) -> str:
        return self.code
