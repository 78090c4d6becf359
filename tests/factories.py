"""Factories for the people and things tests talk about: ava (+1), 李伟 (+86) and friends."""

from __future__ import annotations

from typing import Any

import factory
from factory.django import DjangoModelFactory

from bridgenote.accounts.models import Profile, User


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    handle = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def profile(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            fields = {"display_name": self.handle, **kwargs}
            Profile.objects.create(user=self, **fields)
            self.save()


def ava() -> User:
    return UserFactory(
        handle="ava", phone="+12025550143", phone_verified=True,
        profile__display_name="Ava 🌸", profile__languages_spoken=["en"],
        profile__languages_learning=["zh"], profile__ip_territory="US",
    )  # fmt: skip


def liwei() -> User:
    return UserFactory(
        handle="liwei", phone="+8613800138000", phone_verified=True,
        profile__display_name="李伟", profile__languages_spoken=["zh"],
        profile__languages_learning=["en"], profile__ip_territory="CN-51",
    )  # fmt: skip
