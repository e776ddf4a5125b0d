from django.urls import path

from duecourse.reports import dashboard_views

app_name = "dashboard"
urlpatterns = [
    path("reports/compliance/", dashboard_views.compliance_view, name="compliance"),
    path("reports/compliance/compliance.csv", dashboard_views.compliance_csv, name="compliance-csv"),
    path("reports/compliance/overdue-by-department.csv", dashboard_views.overdue_csv, name="overdue-csv"),
    path("reports/compliance/escalation-ladder.csv", dashboard_views.ladder_csv, name="ladder-csv"),
    path("team/managers/", dashboard_views.manager_chooser, name="team-managers"),
]
