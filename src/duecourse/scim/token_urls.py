from django.urls import path

from duecourse.scim import token_views

app_name = "provisioning"  # not "scim": that namespace is the protocol endpoints'
urlpatterns = [
    path("", token_views.provisioning_page, name="page"),
    path("tokens/", token_views.token_create_view, name="token-create"),
    path("tokens/<int:token_id>/revoke/", token_views.token_revoke_view, name="token-revoke"),
]
