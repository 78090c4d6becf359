from django.urls import path

from bridgenote.feeds import views

app_name = "feeds"
urlpatterns = [
    path("", views.discover, name="discover"),
    path("following/", views.following, name="following"),
    path("discover/preferences/", views.preferences, name="preferences"),
]
