from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from bridgenote.api.api import api
from bridgenote.core.views import healthz

urlpatterns = [
    # Order: the most requested pages first (Django tries the patterns in turn; the feeds'
    # three paths are exact, so no later pattern could have matched them). Each include below
    # is tested by its prefix before its patterns.
    path("healthz", healthz, name="healthz"),
    path("", include("bridgenote.feeds.urls")),
    path("", include("django_prometheus.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("bridgenote.api.mastodon.urls")),
    path("api/", api.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("bridgenote.accounts.urls")),
    path("notes/", include("bridgenote.notes.urls")),
    path("topics/", include("bridgenote.notes.topic_urls")),
    path("notifications/", include("bridgenote.notify.urls")),
    path("translate/", include("bridgenote.translate.urls")),
    path("", include("bridgenote.engage.urls")),
    path("moderation/", include("bridgenote.moderation.urls")),
    path("search/", include("bridgenote.search.urls")),
    path("", include("bridgenote.web.urls")),
]

if settings.SERVE_MEDIA and str(settings.STORAGES["default"]["BACKEND"]).endswith(
    "FileSystemStorage"
):
    # Embedded default: the app serves uploaded media itself. Behind a CDN or S3 this is off.
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
