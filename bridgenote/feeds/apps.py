from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "bridgenote.feeds"
    label = "feeds"
