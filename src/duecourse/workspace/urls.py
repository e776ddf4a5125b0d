"""Mounted at /tasks/: the Mandatory tasks workspace."""

from django.urls import path

from duecourse.workspace import views

app_name = "workspace"
urlpatterns = [
    path("", views.tasks_view, name="tasks"),
    path("export.csv", views.tasks_csv_view, name="csv"),
    path("actions/", views.tasks_action_view, name="actions"),
    path("views/", views.saved_view_create_view, name="view-create"),
    path("views/<int:view_id>/delete/", views.saved_view_delete_view, name="view-delete"),
]
