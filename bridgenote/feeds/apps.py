from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "bridgenote.feeds"
    label = "feeds"

    def ready(self) -> None:
        from bridgenote.accounts import sessions
        from bridgenote.feeds.views import language_mix_expression

        # Discover's settings form shows the saved mix: read with the session, no query.
        sessions.ACCOUNT_VALUES["feeds.language_mix"] = language_mix_expression
