from django.urls import path

from bridgenote.translate import views

app_name = "translate"
urlpatterns = [
    path("", views.text_page, name="page"),
    path("text/", views.translate_any, name="text"),
    path("gloss/", views.gloss, name="gloss"),
    path("words/", views.words, name="words"),
    path("words/save/", views.word_save, name="word_save"),
    path("words/remove/", views.word_remove, name="word_remove"),
    path("o/<slug:kind>/<int:object_id>/<slug:field>/", views.translate_object, name="object"),
    path(
        "o/<slug:kind>/<int:object_id>/<slug:field>/button/",
        views.translate_button,
        name="button",
    ),
    path("o/<slug:kind>/<int:object_id>/<slug:field>/text/", views.object_text, name="text_of"),
    path(
        "o/<slug:kind>/<int:object_id>/<slug:field>/pinyin/",
        views.object_pinyin,
        name="pinyin",
    ),
]
