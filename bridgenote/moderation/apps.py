from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "bridgenote.moderation"
    label = "moderation"
