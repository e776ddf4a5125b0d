from django.urls import re_path

from duecourse.compat import views

# Everything under /api/method/ answers in Frappe's JSON, an unknown or malformed name too (never an HTML 404).
urlpatterns = [re_path(r"^(?P<name>.*)$", views.method_view, name="frappe-method")]
