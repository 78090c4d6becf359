from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "bridgenote.notify"
    label = "notify"

    def ready(self) -> None:
        from bridgenote.accounts import sessions
        from bridgenote.notify.queries import unread_expression

        # The badge's count comes with the session: one query fewer on every page.
        sessions.ACCOUNT_VALUES["notify.unread"] = unread_expression
