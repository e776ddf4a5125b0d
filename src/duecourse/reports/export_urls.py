from django.urls import path

from duecourse.reports import export_views

app_name = "exports"
urlpatterns = [
    path("", export_views.exports_view, name="page"),
    path("overdue-by-department.csv", export_views.overdue_by_department_csv, name="overdue-by-department"),
    path("completed-before-start.csv", export_views.completed_before_start_csv, name="completed-before-start"),
    path("audit-sample.csv", export_views.audit_sample_csv, name="audit-sample"),
]
