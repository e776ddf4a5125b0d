"""Mounted at the site root: My learning under /learning/, the bulk wizard under /assign/."""

from django.urls import path

from duecourse.assignments import views

app_name = "assignments"
urlpatterns = [
    path("learning/", views.my_learning_view, name="my-learning"),
    path("learning/summary/", views.home_summary_view, name="home-summary"),
    path("learning/<int:assignment_id>/", views.assignment_detail_view, name="detail"),
    path("learning/<int:assignment_id>/edit/", views.assignment_edit_view, name="edit"),
    path("learning/<int:assignment_id>/withdraw/", views.assignment_withdraw_view, name="withdraw"),
    path("learning/<int:assignment_id>/exempt/", views.assignment_exempt_view, name="exempt"),
    path("learning/<int:assignment_id>/exempt/end/", views.assignment_exemption_end_view, name="exemption-end"),
    path("assign/", views.bulk_view, name="bulk"),
    path("assign/people-picker/", views.bulk_people_picker_view, name="bulk-picker"),
    path("assign/person-chip/", views.bulk_person_chip_view, name="bulk-chip"),
    path("assign/person/<int:person_id>/", views.person_assign_view, name="assign-person"),
    path("assign/person/<int:person_id>/training/", views.person_training_view, name="person-training"),
]
