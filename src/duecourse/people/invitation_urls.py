"""Mounted at the site root: the invitation link, and sending invitations from the people pages."""

from django.urls import path

from duecourse.people import invitation_views

app_name = "invitations"
urlpatterns = [
    path("invitation/<str:token>/", invitation_views.accept_invitation_view, name="accept"),
    path("people/invite-matching/", invitation_views.people_invite_matching_view, name="invite-matching"),
    path("people/invite/", invitation_views.people_invite_view, name="invite-selection"),
    path("people/<int:person_id>/invite/", invitation_views.person_invite_view, name="invite-person"),
]
