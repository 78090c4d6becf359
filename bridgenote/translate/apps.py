from django.apps import AppConfig


class TranslateConfig(AppConfig):
    name = "bridgenote.translate"
    label = "translate"

    def ready(self) -> None:
        from bridgenote.translate.kinds import bio_texts
        from bridgenote.translate.registry import register

        # accounts may take this over with register("bio", ..., replace=True).
        register("bio", bio_texts)
