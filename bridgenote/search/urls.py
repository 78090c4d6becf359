from django.urls import path

from bridgenote.search import views

app_name = "search"
urlpatterns = [
    path("", views.results, name="results"),
    path("suggest/", views.suggest, name="suggest"),
    path("history/clear/", views.history_clear, name="history_clear"),
    path("aliases/", views.aliases, name="aliases"),
    path("aliases/propose/", views.alias_propose, name="alias_propose"),
    path("aliases/<int:alias_id>/decide/", views.alias_decide, name="alias_decide"),
]
