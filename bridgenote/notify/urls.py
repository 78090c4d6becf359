from django.urls import path

from bridgenote.notify import views

app_name = "notify"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("poll", views.inbox_poll, name="poll"),
    path("badge", views.badge, name="badge"),
]
