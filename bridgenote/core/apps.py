from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "bridgenote.core"
    label = "core"
    verbose_name = "Core"
