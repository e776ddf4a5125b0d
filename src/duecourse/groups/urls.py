from django.urls import path

from duecourse.groups import views

app_name = "groups"
urlpatterns = [
    path("", views.group_list_view, name="list"),
    path("<int:group_id>/", views.group_detail_view, name="detail"),
]
