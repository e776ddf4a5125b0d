from django.urls import path

from duecourse.policy import views

app_name = "policy"
urlpatterns = [
    path("", views.settings_page, name="settings"),
]
