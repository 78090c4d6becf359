from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bridgenote.core.text import fold
from bridgenote.notes.models import Topic

MIX_CHOICES = [(value, f"{value}%") for value in range(0, 101, 10)]


class FeedPreferencesForm(forms.Form):
    language_mix = forms.TypedChoiceField(
        label=_("Notes from the other language community"),
        choices=MIX_CHOICES,
        coerce=int,
        help_text=_("How much of the other community Discover shows you."),
    )
    interests = forms.CharField(
        label=_("Interests"),
        required=False,
        max_length=300,
        help_text=_("Topics you like, separated by spaces or commas, e.g. #coffee #咖啡"),
    )

    def clean_interests(self) -> list[int]:
        raw: str = self.cleaned_data.get("interests", "")
        names = [n.strip().lstrip("#＃") for n in raw.replace("，", ",").replace(",", " ").split()]
        names = [n for n in names if n]
        if len(names) > 20:
            raise forms.ValidationError(_("Choose at most 20 interests."))
        ids: list[int] = []
        unknown: list[str] = []
        for name in names:
            topic = Topic.objects.filter(folded=fold(name)).first()
            if topic is None:
                unknown.append(name)
            else:
                ids.append(topic.pk)
        if unknown:
            raise forms.ValidationError(
                _("No notes use these topics yet: %(topics)s"),
                params={"topics": " ".join(f"#{n}" for n in unknown)},
            )
        return ids

    @classmethod
    def initial_for(cls, prefs: Any, mix: int) -> dict[str, Any]:
        interests = " ".join(f"#{t.name}" for t in prefs.interests.all()) if prefs else ""
        return {"language_mix": mix, "interests": interests}
