"""Mounted at the site root: My learning under /learning/, the bulk wizard under /assign/, training
configurations (assignment rules) under /training/."""

from django.urls import path

from duecourse.assignments import training_views, views

app_name = "assignments"
urlpatterns = [
    path("learning/", views.my_learning_view, name="my-learning"),
    path("learning/summary/", views.home_summary_view, name="home-summary"),
    path("learning/calendar.ics", views.my_calendar_download_view, name="calendar-download"),
    path("learning/calendar/", views.my_calendar_card_view, name="calendar-card"),
    path("learning/calendar/reset/", views.my_calendar_reset_view, name="calendar-reset"),
    path("calendar/<int:person_id>/<str:token>.ics", views.calendar_feed_view, name="calendar-feed"),
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
    path("training/", training_views.training_list_view, name="training-list"),
    path("training/new/", training_views.training_create_view, name="training-create"),
    path("training/items/", training_views.training_items_view, name="training-items"),
    path("training/for/<str:kind>/<int:object_id>/", training_views.training_for_view, name="training-for"),
    path("training/<int:rule_id>/", training_views.training_detail_view, name="training-detail"),
    path("training/<int:rule_id>/edit/", training_views.training_edit_view, name="training-edit"),
    path("training/<int:rule_id>/pause/", training_views.training_pause_view, name="training-pause"),
    path("training/<int:rule_id>/resume/", training_views.training_resume_view, name="training-resume"),
    path("training/<int:rule_id>/delete/", training_views.training_delete_view, name="training-delete"),
]
