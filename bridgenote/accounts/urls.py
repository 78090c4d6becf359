from django.urls import path

from bridgenote.accounts import views

app_name = "accounts"
urlpatterns = [
    path("me/", views.me, name="me"),
]
