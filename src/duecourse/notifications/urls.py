from django.urls import path

from duecourse.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox_view, name="inbox"),
    path("bell/", views.bell_view, name="bell"),
    path("read/", views.mark_read_view, name="mark-read"),
    path("settings/", views.settings_view, name="settings"),
    path("<int:notification_id>/open/", views.open_view, name="open"),
    path("remind/<int:assignment_id>/", views.remind_view, name="remind"),
]
