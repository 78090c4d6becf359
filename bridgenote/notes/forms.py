"""The compose form. Limits and media rules are checked by the services, not duplicated here."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bridgenote.notes.models import Note

VISIBILITY_CHOICES = [
    (Note.Visibility.PUBLIC, pgettext_lazy("note visibility", "Everyone")),
    (Note.Visibility.FOLLOWERS, pgettext_lazy("note visibility", "Followers")),
    (Note.Visibility.PRIVATE, pgettext_lazy("note visibility", "Only me")),
]
LANGUAGE_CHOICES = [
    ("", _("Detect automatically")),
    ("zh", pgettext_lazy("language of a note", "Chinese")),
    ("en", pgettext_lazy("language of a note", "English")),
    ("ja", pgettext_lazy("language of a note", "Japanese")),
    ("ko", pgettext_lazy("language of a note", "Korean")),
    ("mixed", pgettext_lazy("language of a note", "Chinese and English")),
]
LANGUAGE_NAMES = dict(LANGUAGE_CHOICES[1:])
ALT_LANGUAGE_CHOICES = [("", _("Choose a language")), *LANGUAGE_CHOICES[1:5]]
HELP_LANGUAGE_CHOICES = [
    ("", _("No")),
    ("zh", _("Yes, with my Chinese")),
    ("en", _("Yes, with my English")),
    ("ja", _("Yes, with my Japanese")),
    ("ko", _("Yes, with my Korean")),
]


class NoteForm(forms.Form):
    title = forms.CharField(label=_("Title"), required=False, strip=False)
    body = forms.CharField(
        label=_("Text"), required=False, strip=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    visibility = forms.ChoiceField(
        label=_("Who can see it"), choices=VISIBILITY_CHOICES, initial=Note.Visibility.PUBLIC
    )
    place_name = forms.CharField(label=_("Place"), required=False)
    is_original = forms.BooleanField(label=_("Original content"), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, required=False)
    alt_language = forms.ChoiceField(
        label=_("Language of the second version"), choices=ALT_LANGUAGE_CHOICES, required=False
    )
    alt_title = forms.CharField(
        label=_("Title in the second language"), required=False, strip=False
    )
    alt_body = forms.CharField(
        label=_("Text in the second language"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    help_language = forms.ChoiceField(
        label=_("Ask for language help"), choices=HELP_LANGUAGE_CHOICES, required=False
    )


def posted_ids(values: list[str]) -> list[int]:
    """Attachment ids from the uploader's hidden inputs, in order; junk is ignored."""
    return [int(v) for v in values if v.strip().isdigit()]
