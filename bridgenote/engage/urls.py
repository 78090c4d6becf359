from django.urls import path

from bridgenote.engage import views

app_name = "engage"
urlpatterns = [
    path("@<str:handle>/followers", views.followers, name="followers"),
    path("@<str:handle>/following", views.following, name="following"),
    path("@<str:handle>/boards", views.user_boards, name="user_boards"),
    path("@<str:handle>/relation", views.relation, name="relation"),
    path("boards/<int:board_id>/", views.board_detail, name="board"),
    path("boards/<int:board_id>/edit", views.board_edit, name="board_edit"),
    path("engage/notes/<int:note_id>/actions", views.note_actions, name="note_actions"),
    path("engage/notes/<int:note_id>/like", views.note_like, name="note_like"),
    path("engage/notes/<int:note_id>/boards", views.note_boards, name="note_boards"),
    path("engage/notes/<int:note_id>/collect", views.note_collect, name="note_collect"),
    path("engage/notes/<int:note_id>/boards/new", views.note_board_new, name="note_board_new"),
    path("engage/notes/<int:note_id>/comments", views.note_comments, name="note_comments"),
    path("engage/notes/<int:note_id>/comment", views.comment_create, name="comment_create"),
    path("engage/comments/<int:comment_id>/reply", views.comment_reply_form, name="reply_form"),
    path("engage/comments/<int:comment_id>/replies", views.comment_replies, name="comment_replies"),
    path("engage/comments/<int:comment_id>/delete", views.comment_delete, name="comment_delete"),
    path("engage/comments/<int:comment_id>/like", views.comment_like, name="comment_like"),
    path("engage/comments/<int:comment_id>/pin", views.comment_pin, name="comment_pin"),
]
