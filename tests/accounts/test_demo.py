import pytest
from django.core.files.storage import default_storage

from bridgenote.accounts import demo
from bridgenote.accounts.models import Profile, User

pytestmark = pytest.mark.django_db


def test_demo_populate_makes_bilingual_people_and_is_idempotent():
    community = {}
    demo.populate(community)
    users = community["users"]
    assert 8 <= len(users) <= 10
    assert str(users["ava"].phone).startswith("+1")
    liwei = Profile.objects.get(user=users["liwei"])
    assert liwei.display_name == "李伟" and liwei.ip_territory == "CN-51"
    territories = set(Profile.objects.values_list("ip_territory", flat=True))
    assert "US" in territories and any(t.startswith("CN-") for t in territories)
    for profile in Profile.objects.all():
        assert profile.avatar and default_storage.exists(profile.avatar)
        assert profile.languages_spoken and profile.bio
    avatars = set(Profile.objects.values_list("avatar", flat=True))

    again = {}
    demo.populate(again)
    assert User.objects.count() == len(users)
    assert set(Profile.objects.values_list("avatar", flat=True)) == avatars
    assert again["users"].keys() == users.keys()
