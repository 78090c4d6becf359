from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "bridgenote.web"
    label = "web"
