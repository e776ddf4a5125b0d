from django.urls import path, register_converter

from duecourse.groups import views
from duecourse.groups.org_units import OrgUnitKindConverter

register_converter(OrgUnitKindConverter, "org_unit_kind")

app_name = "groups"
urlpatterns = [
    path("", views.group_list_view, name="list"),
    path("new/", views.group_create_view, name="create"),
    path("rule-row/", views.rule_row_view, name="rule-row"),
    path("rule-preview/", views.rule_preview_view, name="rule-preview"),
    path("people-picker/", views.people_picker_view, name="people-picker"),
    path("member-chip/", views.member_chip_view, name="member-chip"),
    path("<int:group_id>/", views.group_detail_view, name="detail"),
    path("<int:group_id>/edit/", views.group_edit_view, name="edit"),
    path("<int:group_id>/delete/", views.group_delete_view, name="delete"),
    path("<int:group_id>/members/add/", views.members_add_view, name="members-add"),
    path("<int:group_id>/members/remove/", views.members_remove_view, name="members-remove"),
    # /groups/departments/, /groups/sites/, /groups/regions/ (reversed with the kind: "site")
    path("<org_unit_kind:kind>/", views.org_unit_list_view, name="org-unit-list"),
    path("<org_unit_kind:kind>/<int:org_unit_id>/", views.org_unit_detail_view, name="org-unit-detail"),
]
