"""/scim/v2/ (RFC 7644). Not part of the Ninja API: SCIM has its own media type, errors and discovery."""

from django.urls import path, re_path

from duecourse.scim import views

urlpatterns = [
    path("ServiceProviderConfig", views.service_provider_config),
    path("ResourceTypes", views.resource_types_view),
    path("ResourceTypes/<str:key>", views.resource_type_view),
    path("Schemas", views.schemas_view),
    path("Schemas/<str:key>", views.schema_view),
    path("Users", views.users_view),
    path("Users/.search", views.search_view),
    path("Users/<str:user_id>", views.user_view),
    path("Groups", views.groups_view),
    path("Groups/.search", views.search_view),
    path("Groups/<str:group_id>", views.group_view),
    path(".search", views.search_view),
    path("Bulk", views.search_view),
    re_path(r"^.*$", views.unknown_view),
]
