from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "bridgenote.notify"
    label = "notify"
