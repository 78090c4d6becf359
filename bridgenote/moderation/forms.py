from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bridgenote.moderation.models import ModerationDecision, ReasonTemplate, Report

DECISION_CHOICES = [
    (ModerationDecision.Action.APPROVE, _("Approve")),
    (ModerationDecision.Action.LIMIT, _("Limit")),
    (ModerationDecision.Action.REMOVE, _("Remove")),
]


class ReasonForm(forms.Form):
    """A decision's reason: a template and/or free text in English and Chinese. Subclasses
    declare ``action``, shown first."""

    field_order = ["action"]
    template = forms.ModelChoiceField(
        label=_("Reason"),
        queryset=ReasonTemplate.objects.filter(enabled=True),
        required=False,
        empty_label=_("(no template)"),
    )
    reason_en = forms.CharField(
        label=_("Reason in English"), required=False, max_length=2000, widget=forms.Textarea
    )
    reason_zh = forms.CharField(
        label=_("Reason in Chinese"), required=False, max_length=2000, widget=forms.Textarea
    )

    @staticmethod
    def has_reason(data: dict[str, object]) -> bool:
        return bool(data.get("template") or data.get("reason_en") or data.get("reason_zh"))

    def decision(self) -> dict[str, Any]:
        """The valid form as the keyword arguments of ``decision_record`` / ``account_action``."""
        return {k: self.cleaned_data[k] for k in ("action", "template", "reason_en", "reason_zh")}


class DecisionForm(ReasonForm):
    action = forms.ChoiceField(label=_("Decision"), choices=DECISION_CHOICES)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        action = data.get("action")
        if action in ("limit", "remove") and not self.has_reason(data):
            raise forms.ValidationError(_("Give the author a reason: pick one or write one."))
        return data


class BulkForm(forms.Form):
    cases = forms.TypedMultipleChoiceField(label=_("Cases"), coerce=int, choices=[])
    action = forms.ChoiceField(label=_("Decision"), choices=DECISION_CHOICES)
    template = forms.ModelChoiceField(
        label=_("Reason"),
        queryset=ReasonTemplate.objects.filter(enabled=True),
        required=False,
        empty_label=_("(no template)"),
    )

    def __init__(self, *args: object, case_ids: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["cases"].choices = [(i, str(i)) for i in case_ids]  # type: ignore[attr-defined]
        self.fields["cases"].error_messages["required"] = _("Select at least one case.")

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("action") in ("limit", "remove") and not data.get("template"):
            raise forms.ValidationError(_("Pick a reason for limiting or removing."))
        return data


class AppealDecisionForm(forms.Form):
    overturn = forms.TypedChoiceField(
        label=_("Outcome"),
        choices=[("1", _("Overturn: publish the note again")), ("0", _("Uphold the decision"))],
        coerce=lambda v: v == "1",
    )
    outcome = forms.CharField(
        label=_("Message to the author"), required=False, max_length=2000, widget=forms.Textarea
    )


class ReportForm(forms.Form):
    category = forms.ChoiceField(
        label=_("What is wrong with this note?"),
        choices=Report.Category.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what is wrong with this note.")},
    )
    text = forms.CharField(
        label=_("Details (optional)"), required=False, max_length=500, widget=forms.Textarea
    )


class AppealForm(forms.Form):
    text = forms.CharField(
        label=_("Why should the decision change?"),
        max_length=1000,
        widget=forms.Textarea,
        error_messages={"required": _("Tell the moderators why the decision is wrong.")},
    )


ACCOUNT_ACTION_CHOICES = [
    (ModerationDecision.Action.WARN, _("Warn")),
    (ModerationDecision.Action.LIMIT_ACCOUNT, _("Limit the account")),
    (ModerationDecision.Action.UNLIMIT_ACCOUNT, _("Lift the limit")),
    (ModerationDecision.Action.SUSPEND, _("Suspend")),
    (ModerationDecision.Action.UNSUSPEND, _("Lift the suspension")),
]


class AccountActionForm(ReasonForm):
    """Warn, limit or suspend an account (or lift a limit or suspension), always with a reason."""

    action = forms.ChoiceField(label=_("Action"), choices=ACCOUNT_ACTION_CHOICES)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not self.has_reason(data):
            raise forms.ValidationError(_("Give the account a reason: pick one or write one."))
        return data
