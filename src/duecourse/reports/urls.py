from django.urls import path

from duecourse.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.team_view, name="team"),
    path("actions/", views.team_actions_view, name="team-actions"),
]
