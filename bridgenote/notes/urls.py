from django.urls import path

from bridgenote.notes import views

app_name = "notes"
urlpatterns = [
    path("new/", views.compose, name="compose"),
    path("drafts/", views.drafts, name="drafts"),
    path("machine-draft/", views.machine_draft, name="machine_draft"),
    path("suggest/", views.suggest, name="suggest"),
    path("grid/<int:author_id>/", views.author_grid, name="author_grid"),
    path("<int:note_id>/", views.detail, name="detail"),
    path("<int:note_id>/edit/", views.edit, name="edit"),
    path("<int:note_id>/publish/", views.publish, name="publish"),
    path("<int:note_id>/delete/", views.delete, name="delete"),
]
