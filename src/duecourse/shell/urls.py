from django.urls import path

from duecourse.shell import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/forgot/", views.password_forgot, name="password-forgot"),
    path("password/reset/<int:person_id>/<str:token>/", views.password_reset, name="password-reset"),
    path("password/change/", views.password_change, name="password-change"),
    path("audit/", views.audit_log, name="audit-log"),
]
