from django.apps import AppConfig


class EngageConfig(AppConfig):
    name = "bridgenote.engage"
    label = "engage"
