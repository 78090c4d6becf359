import pytest

from bridgenote.accounts import demo as accounts_demo
from bridgenote.core.text import fold
from bridgenote.media.models import Attachment
from bridgenote.notes import demo
from bridgenote.notes.models import Note, Topic


@pytest.mark.django_db(transaction=True)
def test_demo_notes_are_bilingual_processed_and_topical(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": "/media/"},
        },
    }
    community = {}
    accounts_demo.populate(community)
    demo.populate(community)
    notes = Note.objects.all()
    assert notes.count() == len(demo.NOTES)
    assert {"en", "zh", "mixed"} <= set(notes.values_list("language", flat=True))
    assert all(n.media_ready for n in notes)
    assert not Attachment.objects.exclude(state=Attachment.State.READY).exists()
    videos = Attachment.objects.filter(kind=Attachment.Kind.VIDEO)
    assert videos.count() == 2
    assert all(v.rendition_url("poster") for v in videos)
    sizes = {(a.width, a.height) for a in Attachment.objects.filter(kind="image")}
    assert len({round(w / h, 2) for w, h in sizes}) >= 3  # varied aspect ratios
    for name in ("selfie", "自拍", "旅行vlog", "咖啡"):
        assert Topic.objects.get(folded=fold(name)).note_count >= 1
    # Running again adds nothing.
    demo.populate(community)
    assert Note.objects.count() == len(demo.NOTES)
