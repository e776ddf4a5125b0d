from django.urls import path

from duecourse.people import views

app_name = "people"
urlpatterns = [
    path("", views.person_list_view, name="list"),
    path("new/", views.person_create_view, name="create"),
    path("manager-picker/", views.manager_picker_view, name="manager-picker"),
    path("manager-chip/", views.manager_chip_view, name="manager-chip"),
    path("import/", views.import_upload_view, name="import"),
    path("import/<str:token>/", views.import_detail_view, name="import-detail"),
    path("import/<str:token>/confirm/", views.import_confirm_view, name="import-confirm"),
    path("import/<str:token>/failures.csv", views.import_failures_view, name="import-failures"),
    path("<int:person_id>/", views.person_detail_view, name="detail"),
    path("<int:person_id>/edit/", views.person_edit_view, name="edit"),
    path("<int:person_id>/language/", views.person_language_view, name="language"),
    path("<int:person_id>/active/", views.person_set_active_view, name="set-active"),
    path("<int:person_id>/unlock/", views.person_unlock_view, name="unlock-sign-in"),
    path("<int:person_id>/sso-unlink/", views.person_sso_unlink_view, name="sso-unlink"),
    path("<int:person_id>/tokens/", views.token_create_view, name="token-create"),
    path("<int:person_id>/tokens/<int:token_id>/revoke/", views.token_revoke_view, name="token-revoke"),
]
