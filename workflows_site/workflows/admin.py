"""The workflows admin: find workflows, create and rename them, move them through their statuses in bulk.

Every write goes through the services, as the API's do: the status is not a form field, it
changes only by the actions below (one per status to move to, each checked by the
transition rule and announced), and a deletion cancels an open workflow first.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from workflows_site.workflows import services
from workflows_site.workflows.errors import WorkflowChangeRefused
from workflows_site.workflows.models import DeletedBuilding, Workflow, WorkflowStatus
from workflows_site.workflows.selectors import building_is_deleted
from workflows_site.workflows.transitions import workflows_transition


class WorkflowForm(forms.ModelForm):
    """Refuses a deleted building before the save, so the admin shows it on the field."""

    class Meta:
        model = Workflow
        fields = ["name", "building_id", "kind"]

    def clean_building_id(self) -> int:
        building_id = self.cleaned_data["building_id"]
        if building_id != self.instance.building_id and building_is_deleted(building_id):
            raise forms.ValidationError(f"Building {building_id} was deleted: it gets no workflow.")
        return building_id


def _move_to(status: str, description: str):
    """A bulk action moving the selected workflows to ``status``: all of them, or none with the reason shown."""

    @admin.action(description=description, permissions=["change"])
    def move(model_admin: WorkflowAdmin, request: HttpRequest, queryset: QuerySet[Workflow]) -> None:
        try:
            moved = workflows_transition(workflows=queryset, status=status)
        except WorkflowChangeRefused as refusal:
            model_admin.message_user(request, f"Nothing changed: {refusal.message}.", messages.ERROR)
            return
        model_admin.message_user(request, f"{len(moved)} workflows moved to {status}.", messages.SUCCESS)

    move.__name__ = f"move_to_{status}"
    return move


@admin.register(Workflow)
class WorkflowAdmin(admin.ModelAdmin):
    form = WorkflowForm
    list_display = ["id", "name", "building_id", "kind", "status", "version", "created_at"]
    list_filter = ["kind", "status", "created_at"]
    search_fields = ["name", "=building_id", "=id", "idempotency_key"]
    readonly_fields = ["status", "version", "idempotency_key", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    actions = [
        _move_to(WorkflowStatus.ACTIVE, "Activate selected workflows (from new)"),
        _move_to(WorkflowStatus.COMPLETED, "Complete selected workflows (from active)"),
        _move_to(WorkflowStatus.CANCELLED, "Cancel selected workflows (from new or active)"),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Workflow | None = None) -> list[str]:
        """The kind is chosen when the workflow is created, then kept."""
        return [*self.readonly_fields, "kind"] if obj is not None else list(self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: Workflow, form: forms.ModelForm, change: bool) -> None:
        if change:
            changed = {name: form.cleaned_data[name] for name in form.changed_data}
            services.workflow_update(workflow=Workflow.objects.get(pk=obj.pk), **changed)
            return
        created = services.workflow_create(name=obj.name, building_id=obj.building_id, kind=obj.kind)
        obj.pk, obj.status, obj.version = created.pk, created.status, created.version

    def delete_model(self, request: HttpRequest, obj: Workflow) -> None:
        services.workflow_delete(workflow=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Workflow]) -> None:
        services.workflows_delete(workflows=queryset)


@admin.register(DeletedBuilding)
class DeletedBuildingAdmin(admin.ModelAdmin):
    """Buildings the buildings site deleted: why a request for a workflow there is refused. Read only."""

    list_display = ["building_id", "deleted_at", "recorded_at"]
    search_fields = ["=building_id"]
    date_hierarchy = "deleted_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DeletedBuilding | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: DeletedBuilding | None = None) -> bool:
        return False
