"""Every route of the Mastodon client API that Bridgenote serves, in one table.

Compare with Mastodon's route list (config/routes/api.rb); docs/api.md says what each maps to.
"""

from __future__ import annotations

from django.urls import URLResolver, include, path, re_path

from bridgenote.api.mastodon import (
    account_statuses,
    accounts,
    instance,
    markers,
    notifications,
    oauth,
    search,
    statuses,
    translation,
    trends,
)
from bridgenote.api.mastodon.routes import APP, PUBLIC, USER, Route, not_found, urlpatterns_for

ROUTES: list[Route] = [
    # Apps and OAuth
    Route("POST", "api/v1/apps", oauth.apps_create, access=PUBLIC),
    Route("GET", "api/v1/apps/verify_credentials", oauth.apps_verify_credentials, access=APP),
    # Instance
    Route("GET", "api/v1/instance", instance.instance_v1, access=PUBLIC),
    Route("GET", "api/v2/instance", instance.instance_v2, access=PUBLIC),
    Route(
        "GET",
        "api/v1/instance/translation_languages",
        translation.translation_languages,
        access=PUBLIC,
    ),
    Route("GET", "api/v1/instance/rules", instance.rules, access=PUBLIC),
    Route("GET", "api/v1/custom_emojis", instance.custom_emojis, access=PUBLIC),
    # Accounts
    Route(
        "GET",
        "api/v1/accounts/verify_credentials",
        accounts.verify_credentials,
        "read:accounts",
        USER,
    ),
    Route(
        "PATCH",
        "api/v1/accounts/update_credentials",
        accounts.update_credentials,
        "write:accounts",
        USER,
    ),
    Route("GET", "api/v1/accounts/lookup", accounts.lookup, access=PUBLIC),
    Route("GET", "api/v1/accounts/search", accounts.search, "read:accounts", USER),
    Route("GET", "api/v1/accounts/relationships", accounts.relationships, "read:follows", USER),
    Route("GET", "api/v1/accounts/<str:account_id>", accounts.account_get, access=PUBLIC),
    Route("GET", "api/v1/accounts/<str:account_id>/followers", accounts.followers, access=PUBLIC),
    Route("GET", "api/v1/accounts/<str:account_id>/following", accounts.following, access=PUBLIC),
    Route(
        "GET",
        "api/v1/accounts/<str:account_id>/statuses",
        account_statuses.account_statuses,
        "read:statuses",
        PUBLIC,
    ),
    Route(
        "POST", "api/v1/accounts/<str:account_id>/follow", accounts.follow, "write:follows", USER
    ),
    Route(
        "POST",
        "api/v1/accounts/<str:account_id>/unfollow",
        accounts.unfollow,
        "write:follows",
        USER,
    ),
    Route("POST", "api/v1/accounts/<str:account_id>/block", accounts.block, "write:blocks", USER),
    Route(
        "POST", "api/v1/accounts/<str:account_id>/unblock", accounts.unblock, "write:blocks", USER
    ),
    Route("POST", "api/v1/accounts/<str:account_id>/mute", accounts.mute, "write:mutes", USER),
    Route("POST", "api/v1/accounts/<str:account_id>/unmute", accounts.unmute, "write:mutes", USER),
    Route("GET", "api/v1/blocks", accounts.blocks, "read:blocks", USER),
    Route("GET", "api/v1/mutes", accounts.mutes, "read:mutes", USER),
    # Preferences and client housekeeping
    Route("GET", "api/v1/preferences", accounts.preferences, "read:accounts", USER),
    # Bridgenote has no keyword filters of its own; clients call both versions at start-up.
    Route("GET", "api/v1/filters", accounts.empty_list, "read:filters", USER),
    Route("GET", "api/v2/filters", accounts.empty_list, "read:filters", USER),
    # Clients ask for these at start-up too; Bridgenote has none of them (accounts are never
    # locked, there are no lists, announcements or followed hashtags), so they are empty.
    Route("GET", "api/v1/follow_requests", accounts.empty_list, "read:follows", USER),
    Route("GET", "api/v1/lists", accounts.empty_list, "read:lists", USER),
    Route("GET", "api/v1/followed_tags", accounts.empty_list, "read:follows", USER),
    Route("GET", "api/v1/announcements", accounts.empty_list, "read", USER),
    # Media
    Route("POST", "api/v2/media", statuses.media_create, "write:media", USER),
    Route("POST", "api/v1/media", statuses.media_create, "write:media", USER),
    Route("GET", "api/v1/media/<str:media_id>", statuses.media_get, "write:media", USER),
    Route("PUT", "api/v1/media/<str:media_id>", statuses.media_update, "write:media", USER),
    # Statuses (a note, or a comment as a reply)
    Route("POST", "api/v1/statuses", statuses.status_create, "write:statuses", USER),
    Route("GET", "api/v1/statuses", statuses.statuses_many, access=PUBLIC),
    Route("GET", "api/v1/statuses/<str:status_id>", statuses.status_get, access=PUBLIC),
    Route("PUT", "api/v1/statuses/<str:status_id>", statuses.status_update, "write:statuses", USER),
    Route(
        "GET",
        "api/v1/statuses/<str:status_id>/source",
        statuses.status_source,
        "read:statuses",
        USER,
    ),
    Route(
        "DELETE", "api/v1/statuses/<str:status_id>", statuses.status_delete, "write:statuses", USER
    ),
    Route("GET", "api/v1/statuses/<str:status_id>/context", statuses.status_context, access=PUBLIC),
    Route(
        "GET",
        "api/v1/statuses/<str:status_id>/favourited_by",
        statuses.favourited_by,
        access=PUBLIC,
    ),
    Route(
        "POST",
        "api/v1/statuses/<str:status_id>/favourite",
        statuses.status_favourite,
        "write:favourites",
        USER,
    ),
    Route(
        "POST",
        "api/v1/statuses/<str:status_id>/unfavourite",
        statuses.status_unfavourite,
        "write:favourites",
        USER,
    ),
    Route(
        "POST",
        "api/v1/statuses/<str:status_id>/bookmark",
        statuses.status_bookmark,
        "write:bookmarks",
        USER,
    ),
    Route(
        "POST",
        "api/v1/statuses/<str:status_id>/unbookmark",
        statuses.status_unbookmark,
        "write:bookmarks",
        USER,
    ),
    Route(
        "POST",
        "api/v1/statuses/<str:status_id>/translate",
        translation.status_translate,
        "read:statuses",
        USER,
    ),
    # Timelines, favourites, bookmarks
    Route("GET", "api/v1/timelines/home", statuses.timeline_home, "read:statuses", USER),
    Route("GET", "api/v1/timelines/public", statuses.timeline_public, access=PUBLIC),
    Route("GET", "api/v1/timelines/tag/<str:hashtag>", statuses.timeline_tag, access=PUBLIC),
    Route("GET", "api/v1/favourites", statuses.favourites, "read:favourites", USER),
    Route("GET", "api/v1/bookmarks", statuses.bookmarks, "read:bookmarks", USER),
    # Search and trends
    Route("GET", "api/v2/search", search.search_v2, "read:search", PUBLIC),
    Route("GET", "api/v1/trends", trends.trends_tags, access=PUBLIC),
    Route("GET", "api/v1/trends/tags", trends.trends_tags, access=PUBLIC),
    Route("GET", "api/v1/trends/statuses", trends.trends_statuses, access=PUBLIC),
    Route("GET", "api/v1/trends/links", trends.trends_links, access=PUBLIC),
    # Notifications
    Route("GET", "api/v1/notifications", notifications.notifications, "read:notifications", USER),
    Route(
        "GET",
        "api/v1/notifications/unread_count",
        notifications.unread_count,
        "read:notifications",
        USER,
    ),
    Route(
        "POST",
        "api/v1/notifications/clear",
        notifications.notifications_clear,
        "write:notifications",
        USER,
    ),
    Route(
        "GET",
        "api/v1/notifications/<str:notification_id>",
        notifications.notification_get,
        "read:notifications",
        USER,
    ),
    Route(
        "POST",
        "api/v1/notifications/<str:notification_id>/dismiss",
        notifications.notification_dismiss,
        "write:notifications",
        USER,
    ),
    # Markers
    Route("GET", "api/v1/markers", markers.markers_get, "read:statuses", USER),
    Route("POST", "api/v1/markers", markers.markers_save, "write:statuses", USER),
]

API_VERSIONS = ("api/v1/", "api/v2/")


def _version(prefix: str) -> URLResolver:
    """The routes of one API version under its prefix; any other path under it is a JSON 404."""
    routes = [route for route in ROUTES if route.path.startswith(prefix)]
    return path(
        prefix,
        include([*urlpatterns_for(routes, prefix), re_path(r"^(?P<rest>.*)$", not_found)]),
    )


urlpatterns = [
    *(_version(prefix) for prefix in API_VERSIONS),
    path("oauth/authorize", oauth.authorize, name="oauth_authorize"),
    # toot sends its users to /oauth/authorize/ (Rails ignores the trailing slash).
    path("oauth/authorize/", oauth.authorize),
    path("oauth/token", oauth.token, name="oauth_token"),
    path("oauth/revoke", oauth.revoke, name="oauth_revoke"),
    path(".well-known/oauth-authorization-server", oauth.metadata),
    path(".well-known/nodeinfo", instance.nodeinfo_links),
    path("nodeinfo/2.0", instance.nodeinfo),
    # Last: a path under any other /api/vN is a JSON 404, not the HTML page.
    re_path(r"^api/v[0-9]+/(?P<rest>.*)$", not_found),
]
