"""The buildings admin: deleting goes through the service, so the other services hear of it."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from buildings_site.buildings import services
from buildings_site.buildings.models import Building


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = [
        "id", "name", "workflow_status", "workflow_id", "open_workflows", "open_alarms", "created_at", "updated_at",
    ]  # fmt: skip
    list_filter = ["workflow_status", "created_at"]
    search_fields = ["name", "=id", "=workflow_id"]
    readonly_fields = [
        "workflow_id", "workflow_status", "open_workflows", "open_alarms", "alarms_counted_at", "created_at",
        "updated_at",
    ]  # fmt: skip
    date_hierarchy = "created_at"

    def delete_model(self, request: HttpRequest, obj: Building) -> None:
        services.building_delete(building=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Building]) -> None:
        for building in queryset:
            services.building_delete(building=building)
