"""Django admin for operators: a read-only window on the data. Changes go through the services (web UI, API, CLI)."""

from django.contrib import admin

from duecourse.core.models import AuditEvent, Tenant


class ReadOnlyAdmin(admin.ModelAdmin):
    """Writes skip the services' validation, audit and membership updates, so the admin only reads."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Tenant)
class TenantAdmin(ReadOnlyAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "tenant", "action", "object_type", "object_id", "actor_id")
    list_filter = ("action", "object_type", "tenant")
    search_fields = ("action", "reason")
    date_hierarchy = "at"
    list_select_related = ("tenant",)
