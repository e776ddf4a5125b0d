from django.contrib import admin
from django.db.models import Count

from duecourse.core.admin import ReadOnlyAdmin
from duecourse.groups.models import Group


@admin.register(Group)
class GroupAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "tenant", "member_count", "updated_at")
    list_filter = ("kind", "tenant")
    search_fields = ("name", "description")
    list_select_related = ("tenant",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(ordering="member_count")
    def member_count(self, group):
        return group.member_count
