from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "bridgenote.api"
    label = "api"
