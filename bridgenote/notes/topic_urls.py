from django.urls import path

from bridgenote.notes import views

app_name = "topics"
urlpatterns = [
    path("<str:name>/", views.topic, name="detail"),
]
