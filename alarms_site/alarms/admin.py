"""The alarms admin: find alarms, act on them in bulk (each action journaled), read their journal.

The bulk actions call the same services as the API; the action bar's extra fields carry
what an action needs (a shelve's reason and minutes, an assignee, a comment's text).
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from alarms_site.alarms import services
from alarms_site.alarms.assignments import alarm_assign_many, alarm_comment_many, alarm_unassign_many
from alarms_site.alarms.changes import AlarmActionRefused
from alarms_site.alarms.models import MAX_BUILDING_ID, STAFF_HOLDER, Alarm, JournalEntry, OutOfService
from alarms_site.alarms.outofservice import AlreadyInThatState, building_return_to_service, building_take_out_of_service
from alarms_site.alarms.shelving import alarm_shelve_many, alarm_unshelve_many


class AcknowledgedFilter(admin.SimpleListFilter):
    """Acknowledged yes/no, from whether ``acknowledged_at`` is set."""

    title = "acknowledged"
    parameter_name = "acknowledged"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(acknowledged_at__isnull=self.value() == "no")
        return queryset


class BuildingIdFilter(admin.SimpleListFilter):
    """One building, typed in: a link per distinct building id would list thousands of them."""

    title = "building id"
    parameter_name = "building_id"
    template = "admin/alarms/number_filter.html"

    def lookups(self, request, model_admin):
        return ()  # no links to list, so no query for the distinct ids

    def has_output(self) -> bool:
        return True

    def choices(self, changelist):
        """One input box; the form keeps the list's other filters, search and order."""
        kept = [(name, value) for name, value in changelist.params.items() if name != self.parameter_name]
        yield {
            "value": self.value() or "",
            "parameter_name": self.parameter_name,
            "kept": kept,
            "reset_query_string": changelist.get_query_string(remove=[self.parameter_name]),
        }

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            building_id = forms.IntegerField(min_value=1, max_value=MAX_BUILDING_ID).clean(self.value())
        except ValidationError as error:  # the admin shows the whole list with an error flag
            raise IncorrectLookupParameters(error) from error
        return queryset.filter(building_id=building_id)


class JournalInline(admin.TabularInline):
    """The alarm's journal, read-only: it is append-only, written by the services."""

    model = JournalEntry
    fields = ["at", "action", "actor", "from_state", "to_state", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Alarm | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Alarm | None = None) -> bool:
        return False


class AlarmActionForm(ActionForm):
    """The action bar: what the chosen action needs, blank for the others."""

    note = forms.CharField(
        required=False, max_length=2000, label="Reason / comment", help_text="A shelve's reason, or a comment's text."
    )
    minutes = forms.IntegerField(required=False, min_value=1, label="Minutes", help_text="Blank: until it clears.")
    assignee = forms.CharField(required=False, max_length=150, label="Assign to (username)")


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    list_display = [
        "id", "name", "severity", "state", "building_id", "source", "occurrences", "occurred_at", "acknowledged_at",
        "shelved_at", "assignee", "out_of_service", "workflow_id",
    ]  # fmt: skip
    list_filter = ["state", "severity", AcknowledgedFilter, "out_of_service", "chattering", BuildingIdFilter]
    search_fields = ["name", "=event_id", "=building_id", "source", "acknowledged_by", "=assignee"]
    inlines = [JournalInline]
    readonly_fields = [field.name for field in Alarm._meta.fields]
    date_hierarchy = "received_at"
    action_form = AlarmActionForm
    actions = ["acknowledge", "shelve", "unshelve", "assign", "unassign", "comment"]
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # alarms arrive as events

    def has_shelve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("alarms.shelve_alarm")

    @admin.action(description="Acknowledge selected alarms", permissions=["change"])
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Alarm]) -> None:
        """Acknowledge the selected alarms in the signed-in admin's name (live pages update)."""
        count = services.alarm_acknowledge_many(alarm_ids=_ids(queryset), by=request.user.get_username())
        self.message_user(request, f"{count} alarm(s) acknowledged.", messages.SUCCESS)

    @admin.action(
        description="Shelve selected alarms (reason; minutes, or blank until cleared)", permissions=["shelve"]
    )
    def shelve(self, request: HttpRequest, queryset: QuerySet[Alarm]) -> None:
        reason = request.POST.get("note", "").strip()
        minutes = self._minutes(request)
        if not reason or minutes is False:
            return
        try:
            shelved = alarm_shelve_many(
                alarm_ids=_ids(queryset), by=request.user.get_username(), reason=reason, minutes=minutes or None
            )
        except AlarmActionRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return
        self.message_user(request, f"{len(shelved)} alarm(s) shelved.", messages.SUCCESS)

    @admin.action(description="Unshelve selected alarms", permissions=["shelve"])
    def unshelve(self, request: HttpRequest, queryset: QuerySet[Alarm]) -> None:
        unshelved = alarm_unshelve_many(alarm_ids=_ids(queryset), by=request.user.get_username())
        self.message_user(request, f"{len(unshelved)} alarm(s) unshelved.", messages.SUCCESS)

    @admin.action(description="Assign selected alarms (to the username given)", permissions=["change"])
    def assign(self, request: HttpRequest, queryset: QuerySet[Alarm]) -> None:
        username = request.POST.get("assignee", "").strip()
        try:
            assigned = alarm_assign_many(
                alarm_ids=_ids(queryset), to=username, by=request.user.get_username(), strict=True
            )
        except AlarmActionRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return
        self.message_user(request, f"{len(assigned)} alarm(s) assigned to {username}.", messages.SUCCESS)

    @admin.action(description="Unassign selected alarms", permissions=["change"])
    def unassign(self, request: HttpRequest, queryset: QuerySet[Alarm]) -> None:
        unassigned = alarm_unassign_many(alarm_ids=_ids(queryset), by=request.user.get_username())
        self.message_user(request, f"{len(unassigned)} alarm(s) unassigned.", messages.SUCCESS)

    @admin.action(description="Comment on selected alarms (the text given)", permissions=["change"])
    def comment(self, request: HttpRequest, queryset: QuerySet[Alarm]) -> None:
        text = request.POST.get("note", "").strip()
        if not text:
            self.message_user(request, "Write the comment in the Reason / comment box.", messages.ERROR)
            return
        commented = alarm_comment_many(alarm_ids=_ids(queryset), text=text[:2000], by=request.user.get_username())
        self.message_user(request, f"{len(commented)} alarm(s) commented.", messages.SUCCESS)

    def _minutes(self, request: HttpRequest) -> int | bool | None:
        """The shelve's minutes (None: until it clears); False, with a message, when the form is not right."""
        if not request.POST.get("note", "").strip():
            self.message_user(request, "A shelve needs a reason in the Reason / comment box.", messages.ERROR)
            return False
        raw = request.POST.get("minutes", "").strip()
        if not raw:
            return None
        try:
            return forms.IntegerField(min_value=1, max_value=settings.ALARMS_SHELVE_MAX_MINUTES).clean(raw)
        except ValidationError as error:
            self.message_user(request, f"Minutes: {' '.join(error.messages)}", messages.ERROR)
            return False


@admin.register(OutOfService)
class OutOfServiceAdmin(admin.ModelAdmin):
    """Buildings out of service, one row per hold: adding one is staff's hold, deleting it ends that.

    A maintenance workflow's hold is listed too, and ends with its workflow, not here.
    """

    list_display = ["building_id", "holder", "since", "by", "reason"]
    list_filter = ["holder"]
    fields = ["building_id", "reason"]
    search_fields = ["=building_id", "reason"]

    def has_change_permission(self, request: HttpRequest, obj: OutOfService | None = None) -> bool:
        return False  # back in service, then out again: each change journaled on the alarms

    def has_delete_permission(self, request: HttpRequest, obj: OutOfService | None = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or obj.holder == STAFF_HOLDER)

    def save_model(self, request: HttpRequest, obj: OutOfService, form, change: bool) -> None:
        try:
            building_take_out_of_service(building_id=obj.building_id, by=request.user.get_username(), reason=obj.reason)
        except AlreadyInThatState as refusal:
            self.message_user(request, str(refusal), messages.ERROR)

    def delete_model(self, request: HttpRequest, obj: OutOfService) -> None:
        try:
            building_return_to_service(building_id=obj.building_id, by=request.user.get_username())
        except AlreadyInThatState as refusal:
            self.message_user(request, str(refusal), messages.ERROR)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[OutOfService]) -> None:
        for obj in queryset.filter(holder=STAFF_HOLDER):
            self.delete_model(request, obj)


def _ids(queryset: QuerySet[Alarm]) -> list[int]:
    return list(queryset.values_list("id", flat=True))
