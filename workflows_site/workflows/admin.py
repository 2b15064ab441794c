from django.contrib import admin

from workflows_site.workflows.models import Workflow


@admin.register(Workflow)
class WorkflowAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "building_id", "status", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["name", "=building_id", "=id", "idempotency_key"]
    readonly_fields = ["idempotency_key", "created_at", "updated_at"]
    date_hierarchy = "created_at"
