from django.urls import path

from duecourse.notifications import outbox_views

app_name = "outbox"
urlpatterns = [
    path("", outbox_views.outbox_problems_view, name="problems"),
]
