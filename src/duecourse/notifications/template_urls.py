"""/settings/emails/: the email-template editor (admins)."""

from django.urls import path

from duecourse.notifications import template_views as views

app_name = "email_templates"
urlpatterns = [
    path("", views.list_view, name="list"),
    path("people/", views.sample_people_view, name="sample-people"),
    path("<slug:kind>/", views.edit_view, name="edit"),
    path("<slug:kind>/preview/", views.preview_view, name="preview"),
    path("<slug:kind>/preview.html", views.preview_html_view, name="preview-html"),
    path("<slug:kind>/reset/", views.reset_view, name="reset"),
    path("<slug:kind>/<str:language>/", views.edit_view, name="edit-language"),
    path("<slug:kind>/<str:language>/preview/", views.preview_view, name="preview-language"),
    path("<slug:kind>/<str:language>/preview.html", views.preview_html_view, name="preview-html-language"),
    path("<slug:kind>/<str:language>/reset/", views.reset_view, name="reset-language"),
]
