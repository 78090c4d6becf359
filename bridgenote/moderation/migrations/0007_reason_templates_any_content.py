"""The seven starter reason templates name what they are about with ``{content}`` (so one
template reads right for a note, a comment, a bio or an account, in both languages). A
template a moderator has edited is left as it is."""

import importlib

from django.db import migrations

OLD_PREFIX_EN = "This note "
OLD_PREFIX_ZH = "这篇笔记"
CODES = ["spam", "sexual", "harassment", "hate", "violence", "illegal", "misleading"]


def any_content(apps, schema_editor):  # noqa: ANN001, ANN201
    ReasonTemplate = apps.get_model("moderation", "ReasonTemplate")  # noqa: N806
    starter = importlib.import_module("bridgenote.moderation.migrations.0002_reason_templates")
    originals = {code: (en, zh) for code, en, zh in starter.TEMPLATES}
    for template in ReasonTemplate.objects.filter(code__in=CODES):
        original = originals.get(template.code)
        if original != (template.text_en, template.text_zh):
            continue  # edited by a moderator: theirs
        template.text_en = "This {content} " + template.text_en[len(OLD_PREFIX_EN) :]
        template.text_zh = "{content}" + template.text_zh[len(OLD_PREFIX_ZH) :]
        template.save(update_fields=["text_en", "text_zh"])


def back(apps, schema_editor):  # noqa: ANN001, ANN201
    ReasonTemplate = apps.get_model("moderation", "ReasonTemplate")  # noqa: N806
    for template in ReasonTemplate.objects.filter(code__in=CODES):
        template.text_en = template.text_en.replace("{content}", "note")
        template.text_zh = template.text_zh.replace("{content}", OLD_PREFIX_ZH)
        template.save(update_fields=["text_en", "text_zh"])


class Migration(migrations.Migration):
    dependencies = [("moderation", "0006_account_standing_comments_bio")]
    operations = [migrations.RunPython(any_content, back)]
