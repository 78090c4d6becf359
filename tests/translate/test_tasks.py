from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.utils import timezone, translation

from bridgenote.core.jobs import enqueue_on_commit
from bridgenote.translate import tasks
from bridgenote.translate.models import Translation
from bridgenote.translate.services import translate_text

pytestmark = pytest.mark.django_db


def test_forget_task_drops_translations_of_edited_content(llm, django_capture_on_commit_callbacks):
    translate_text(text="我想喝咖啡", target="en")
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(tasks.translations_forget, ["我想喝咖啡"])
    assert not Translation.objects.exists()
    assert not translate_text(text="我想喝咖啡", target="en").cached


def test_cleanup_command_deletes_unread_translations(llm):
    translate_text(text="我想喝咖啡", target="en")
    out = StringIO()
    call_command("translate_cleanup", stdout=out)
    assert "deleted 0" in out.getvalue()
    Translation.objects.update(used_at=timezone.now() - timedelta(days=31))
    call_command("translate_cleanup", stdout=out)
    assert "deleted 1" in out.getvalue() and not Translation.objects.exists()


def test_reading_a_stored_translation_refreshes_it_at_most_daily(llm):
    from django.core.cache import cache

    from bridgenote.translate.services import _local

    translate_text(text="我想喝咖啡", target="en")
    old = timezone.now() - timedelta(days=3)
    Translation.objects.update(used_at=old)
    cache.clear()
    _local.clear()
    assert translate_text(text="我想喝咖啡", target="en").cached
    assert Translation.objects.get().used_at > old + timedelta(days=2)


def test_attribution_tag_for_the_about_page(llm):
    template = Template("{% load translate_tags %}{% translate_attribution %}")
    html = template.render(Context({}))
    assert "CC-CEDICT" in html and "https://creativecommons.org/licenses/by-sa/4.0/" in html
    assert "Machine translation: openai" in html
    with translation.override("zh-hans"):
        assert "知识共享" in template.render(Context({}))
