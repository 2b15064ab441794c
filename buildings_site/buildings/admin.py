from django.contrib import admin

from buildings_site.buildings.models import Building


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "workflow_status", "workflow_id", "created_at", "updated_at"]
    list_filter = ["workflow_status", "created_at"]
    search_fields = ["name", "=id", "=workflow_id"]
    readonly_fields = ["workflow_id", "workflow_status", "created_at", "updated_at"]
    date_hierarchy = "created_at"
