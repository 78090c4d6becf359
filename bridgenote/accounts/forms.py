from __future__ import annotations

from typing import Any

import phonenumbers
from allauth.account.forms import SignupForm
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from bridgenote.accounts.avatars import process_avatar
from bridgenote.accounts.models import LANGUAGE_CHOICES, UI_LANGUAGE_CHOICES
from bridgenote.accounts.phone import country_choices, parse_phone
from bridgenote.accounts.validators import validate_handle

HANDLE_HELP = _("Your @name: 3 to 30 letters, digits or underscores. It cannot be changed.")
TERRITORY_REGIONS = {"CN-81": "HK", "CN-82": "MO", "CN-71": "TW"}


def default_region(territory: str, language: str) -> str:
    """The country the picker starts on: where the visitor's IP is, else by UI language."""
    region = TERRITORY_REGIONS.get(territory, territory.split("-")[0])
    if region in phonenumbers.SUPPORTED_REGIONS:
        return region
    return "CN" if language.startswith("zh") else "US"


class PhoneForm(forms.Form):
    region = forms.ChoiceField(label=_("Country or region"))
    number = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        error_messages={"required": _("Enter your phone number.")},
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel-national", "inputmode": "tel"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = country_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "number" in data:
            try:
                data["phone"] = parse_phone(data.get("region", ""), data["number"])
            except ValidationError as exc:
                self.add_error("number", exc)
        return data


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code"),
        max_length=12,
        error_messages={"required": _("Enter the 6-digit code we sent you.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if len(code) != 6 or not code.isdigit():
            raise ValidationError(_("The code has 6 digits."), code="format")
        return code


def invite_field() -> forms.CharField:
    return forms.CharField(
        label=_("Invitation code"),
        max_length=40,
        error_messages={"required": _("Enter your invitation code.")},
        help_text=_("This instance takes new accounts by invitation."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )


def clean_invite_code(value: str) -> str:
    from bridgenote.accounts.services import invite_valid

    if not invite_valid(code=value):
        raise ValidationError(
            _("This invitation code is not valid or has been used up."), code="invite"
        )
    return value


class EmailSignupForm(SignupForm):
    """allauth's e-mail sign-up form, speaking of handles rather than usernames; with an
    invitation code while registrations are by invitation (redeemed by the adapter)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if settings.REGISTRATIONS == "invite":
            self.fields["invite"] = invite_field()
        handle = self.fields["username"]
        handle.label = _("Handle")
        handle.help_text = HANDLE_HELP
        handle.widget.attrs.update({"autocapitalize": "none", "spellcheck": "false"})

    def clean_invite(self) -> str:
        return clean_invite_code(self.cleaned_data["invite"])


class WaitlistForm(forms.Form):
    contact = forms.CharField(
        label=_("Phone number or e-mail address"),
        max_length=254,
        error_messages={"required": _("Enter a phone number or an e-mail address.")},
        help_text=_("A phone number with its country code (+86 …, +1 …) or an e-mail address."),
        widget=forms.TextInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        value = (data.get("contact") or "").strip()
        if not value:
            return data
        if "@" in value:
            try:
                validate_email(value)
            except ValidationError:
                self.add_error("contact", _("Enter a valid e-mail address."))
                return data
            data["kind"], data["value"] = "email", value
        else:
            if not value.startswith("+"):
                self.add_error(
                    "contact", _("Write the phone number with its country code, like +86 …")
                )
                return data
            try:
                data["kind"], data["value"] = "phone", parse_phone("", value)
            except ValidationError as exc:
                self.add_error("contact", exc)
        return data


class HandleForm(forms.Form):
    handle = forms.CharField(
        label=_("Handle"),
        max_length=31,
        error_messages={"required": _("Choose a handle.")},
        help_text=HANDLE_HELP,
        widget=forms.TextInput(
            attrs={
                "autocapitalize": "none",
                "spellcheck": "false",
                "hx-get": reverse_lazy("accounts:handle_check"),
                "hx-trigger": "input changed delay:400ms",
                "hx-target": "#handle-status",
                "aria-describedby": "handle-status",
            }
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if settings.REGISTRATIONS == "invite":
            self.fields["invite"] = invite_field()

    def clean_invite(self) -> str:
        return clean_invite_code(self.cleaned_data["invite"])

    def clean_handle(self) -> str:
        return validate_handle(self.cleaned_data["handle"])


class LanguagesForm(forms.Form):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=40,
        required=False,
        help_text=_("Any script, emoji welcome."),
    )
    languages_spoken = forms.MultipleChoiceField(
        label=_("Languages I speak"),
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages_learning = forms.MultipleChoiceField(
        label=_("Languages I am learning"),
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if any(ord(ch) < 32 for ch in name):
            raise ValidationError(_("The display name contains invalid characters."))
        return name


class ProfileForm(LanguagesForm):
    bio = forms.CharField(
        label=_("Bio"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    avatar = forms.FileField(
        label=_("Avatar"),
        required=False,
        help_text=_("A JPEG, PNG, WebP or GIF photo up to 10 MB; it is cropped to a square."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}
        ),
    )
    ui_language = forms.ChoiceField(
        label=_("Interface language"), choices=UI_LANGUAGE_CHOICES, required=False
    )

    def clean_avatar(self) -> bytes | None:
        upload = self.cleaned_data.get("avatar")
        if not upload:
            return None
        # Validated and re-encoded here, so its error shows next to the field.
        return process_avatar(upload)

    field_order = [
        "avatar",
        "display_name",
        "bio",
        "languages_spoken",
        "languages_learning",
        "ui_language",
    ]
