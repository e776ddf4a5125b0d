from django.contrib import admin

from duecourse.core.admin import ReadOnlyAdmin
from duecourse.people.models import ApiToken, OrgUnit, Person


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ("name", "email", "tenant", "department", "site", "job_title", "active", "is_admin")
    list_filter = ("active", "is_admin", "is_instructor", "is_hr", "tenant")
    search_fields = ("name", "email", "external_id", "job_title")
    list_select_related = ("tenant", "department", "site")
    exclude = ("user",)
    show_full_result_count = False


@admin.register(OrgUnit)
class OrgUnitAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "tenant")
    list_filter = ("kind", "tenant")
    search_fields = ("name",)
    list_select_related = ("tenant",)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("prefix", "name", "person", "tenant", "created_at", "last_used_at", "revoked_at")
    list_filter = ("tenant",)
    search_fields = ("prefix", "name", "person__email")
    list_select_related = ("person", "tenant")
    exclude = ("secret_hash",)
