from django.urls import path

from duecourse.people import views

app_name = "people"
urlpatterns = [
    path("", views.person_list_view, name="list"),
    path("<int:person_id>/", views.person_detail_view, name="detail"),
]
