"""The compose form. Limits and media rules are checked by the services, not duplicated here."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from bridgenote.notes.models import Note

VISIBILITY_CHOICES = [
    (Note.Visibility.PUBLIC, _("Everyone")),
    (Note.Visibility.FOLLOWERS, _("Followers")),
    (Note.Visibility.PRIVATE, _("Only me")),
]
LANGUAGE_CHOICES = [
    ("", _("Detect automatically")),
    ("zh", _("Chinese")),
    ("en", _("English")),
    ("ja", _("Japanese")),
    ("ko", _("Korean")),
    ("mixed", _("Chinese and English")),
]
LANGUAGE_NAMES = dict(LANGUAGE_CHOICES[1:])


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


def posted_ids(values: list[str]) -> list[int]:
    """Attachment ids from the uploader's hidden inputs, in order; junk is ignored."""
    return [int(v) for v in values if v.strip().isdigit()]
