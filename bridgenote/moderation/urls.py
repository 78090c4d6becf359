from django.urls import path

from bridgenote.moderation import views

app_name = "moderation"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("bulk/", views.bulk, name="bulk"),
    path("accounts/<int:user_id>/", views.account, name="account"),
    path("log/", views.log, name="log"),
    path("appeals/", views.appeals, name="appeals"),
    path("appeals/<int:appeal_id>/decide/", views.appeal_decide, name="appeal_decide"),
    path("rescan/", views.rescan, name="rescan"),
    path("report/<int:note_id>/", views.report, name="report"),
    path("appeal/<int:note_id>/", views.appeal, name="appeal"),
    path("report/comment/<int:comment_id>/", views.report_comment, name="report_comment"),
    path("report/account/<str:handle>/", views.report_account, name="report_account"),
    path("appeal/comment/<int:comment_id>/", views.appeal_comment, name="appeal_comment"),
    path("appeal/bio/", views.appeal_bio, name="appeal_bio"),
    path("public-log/", views.public_log, name="public_log"),
]
