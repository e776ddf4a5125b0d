from django.contrib.auth.views import LoginView
from django.urls import include, path

from oidc_provider import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", LoginView.as_view(template_name="oidc_provider/login.html"), name="login"),
    # Before DOT's own /o/logout/, which discovery names as end_session_endpoint.
    path("o/logout/", views.LoopbackLogoutView.as_view()),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("test/clients", views.create_client),
    path("test/users", views.create_user),
    path("test/misbehave", views.misbehave),
    path("test/rotate", views.rotate),
    path("test/reset", views.reset),
]
