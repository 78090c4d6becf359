from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "bridgenote.search"
    label = "search"
