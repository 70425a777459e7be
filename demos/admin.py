from django.contrib import admin

from .models import DemoRun


@admin.register(DemoRun)
class DemoRunAdmin(admin.ModelAdmin):
    """Read-only: runs are written by the request service and the workers alone."""

    list_display = ["id", "kind", "status", "progress", "attempts", "queued_at", "compute_ms"]
    list_filter = ["status", "kind"]
    search_fields = ["params_hash"]
    ordering = ["-queued_at"]
    list_per_page = 50
    show_full_result_count = False
    readonly_fields = [field.name for field in DemoRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
