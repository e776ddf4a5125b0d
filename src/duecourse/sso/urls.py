"""Mounted at the site root: /login/sso/ (start), /login/sso/callback/ (the redirect URI), and the
admins' /settings/sign-in/ page."""

from django.urls import path

from duecourse.sso import views

app_name = "sso"
urlpatterns = [
    path("login/sso/", views.start, name="start"),
    path("login/sso/callback/", views.callback, name="callback"),
    path("settings/sign-in/", views.settings_page, name="settings"),
]
