from django.urls import path

from bridgenote.notes import views

app_name = "notes"
urlpatterns = [
    path("new/", views.compose, name="compose"),
]
