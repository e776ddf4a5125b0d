from django.urls import path

from duecourse.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.course_list_view, name="courses"),
    path("courses/new/", views.course_create_view, name="course-create"),
    path("courses/<int:course_id>/", views.course_detail_view, name="course"),
    path("courses/<int:course_id>/edit/", views.course_edit_view, name="course-edit"),
    path("courses/<int:course_id>/status/", views.course_status_view, name="course-status"),
    path("courses/<int:course_id>/equivalences/", views.equivalence_add_view, name="equivalence-add"),
    path(
        "courses/<int:course_id>/equivalences/<int:equivalence_id>/remove/",
        views.equivalence_remove_view,
        name="equivalence-remove",
    ),
    path("paths/", views.path_list_view, name="paths"),
    path("paths/new/", views.path_create_view, name="path-create"),
    path("paths/items/", views.path_items_view, name="path-items"),
    path("paths/<int:path_id>/", views.path_detail_view, name="path"),
    path("paths/<int:path_id>/edit/", views.path_edit_view, name="path-edit"),
    path("skills/", views.skill_list_view, name="skills"),
    path("skills/new/", views.skill_create_view, name="skill-create"),
    path("skills/<int:skill_id>/edit/", views.skill_edit_view, name="skill-edit"),
]
