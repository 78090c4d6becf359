from django.apps import AppConfig


class TranslateConfig(AppConfig):
    name = "bridgenote.translate"
    label = "translate"
