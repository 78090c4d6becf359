from django.db import migrations

TEMPLATES = [
    ("spam", "This note advertises or contains contact details for selling, which Bridgenote doesn't allow.",
     "这篇笔记含有广告或引流的联系方式，Bridgenote 不允许发布。"),
    ("sexual", "This note contains sexual content, which Bridgenote doesn't allow.",
     "这篇笔记含有色情内容，Bridgenote 不允许发布。"),
    ("harassment", "This note insults or harasses someone.", "这篇笔记含有辱骂或骚扰他人的内容。"),
    ("hate", "This note attacks people for who they are.", "这篇笔记因身份攻击他人。"),
    ("violence", "This note threatens or encourages violence.", "这篇笔记含有威胁或鼓励暴力的内容。"),
    ("illegal", "This note offers illegal goods or services.", "这篇笔记提供违法的商品或服务。"),
    ("misleading", "This note is misleading and could cause harm.", "这篇笔记内容误导他人，可能造成伤害。"),
]  # fmt: skip


def add_templates(apps, schema_editor):  # noqa: ANN001, ANN201
    ReasonTemplate = apps.get_model("moderation", "ReasonTemplate")  # noqa: N806
    for position, (code, en, zh) in enumerate(TEMPLATES):
        ReasonTemplate.objects.get_or_create(
            code=code, defaults={"text_en": en, "text_zh": zh, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("moderation", "0001_initial")]
    operations = [migrations.RunPython(add_templates, migrations.RunPython.noop)]
