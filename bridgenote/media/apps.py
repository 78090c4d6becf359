from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "bridgenote.media"
    label = "media"
