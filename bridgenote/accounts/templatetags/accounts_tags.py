from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from bridgenote.accounts.avatars import avatar_url as _avatar_url
from bridgenote.accounts.models import LANGUAGE_CHOICES
from bridgenote.accounts.territory import territory_for_ip, territory_name

if TYPE_CHECKING:
    from bridgenote.accounts.forms import PhoneForm

register = template.Library()


@register.filter
def ip_territory(code: str) -> str:
    """ "IP属地：四川" / "IP territory: Sichuan" in the viewer's language (unknown if empty)."""
    name = territory_name(code or "")
    if not name:
        return _("IP territory: unknown")
    return _("IP territory: %(place)s") % {"place": name}


@register.filter
def territory(code: str) -> str:
    """Just the place name of a territory code, in the viewer's language."""
    return territory_name(code or "")


@register.filter
def avatar_url(name: str) -> str:
    return _avatar_url(name or "")


@register.filter
def language_names(codes: list[str]) -> str:
    labels = dict(LANGUAGE_CHOICES)
    names = [str(labels[code]) for code in codes or [] if code in labels]
    separator = "、" if (get_language() or "").startswith("zh") else ", "
    return separator.join(names)


@register.simple_tag(takes_context=True)
def phone_form(context: dict[str, Any]) -> PhoneForm:
    """An empty phone form for pages that are not the phone flow's own (log-in, sign-up)."""
    # Imported here: phonenumbers is for these pages, not every page that loads the tags.
    from bridgenote.accounts.forms import PhoneForm, default_region

    request = context.get("request")
    ip = str(getattr(request, "client_ip", "") or "")
    region = default_region(territory_for_ip(ip), get_language() or "en")
    return PhoneForm(initial={"region": region})
