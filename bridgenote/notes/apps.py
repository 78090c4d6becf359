from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "bridgenote.notes"
    label = "notes"
