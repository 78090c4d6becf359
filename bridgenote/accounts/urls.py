from django.urls import path, re_path

from bridgenote.accounts import views

app_name = "accounts"
urlpatterns = [
    path("me/", views.me, name="me"),
    re_path(r"^@(?P<handle>[A-Za-z0-9_]{1,30})/?$", views.profile, name="profile"),
    path("signin/phone/", views.phone_start, name="phone"),
    path("signin/phone/code/", views.phone_code, name="phone_code"),
    path("signup/handle/", views.signup_handle, name="signup_handle"),
    path("signup/handle/check/", views.handle_check, name="handle_check"),
    path("signup/waitlist/", views.waitlist, name="waitlist"),
    path("welcome/", views.welcome, name="welcome"),
    path("settings/profile/", views.profile_edit, name="profile_edit"),
    path("dev/outbox/", views.dev_outbox, name="dev_outbox"),
]
