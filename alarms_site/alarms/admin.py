"""The alarms admin: find alarms by severity, state or building, acknowledge them in bulk, read their journal."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from alarms_site.alarms import services
from alarms_site.alarms.models import MAX_BUILDING_ID, Alarm, JournalEntry


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


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    list_display = [
        "id", "name", "severity", "state", "building_id", "source", "occurrences", "occurred_at", "acknowledged_at",
    ]  # fmt: skip
    list_filter = ["state", "severity", AcknowledgedFilter, BuildingIdFilter]
    search_fields = ["name", "=event_id", "=building_id", "source", "acknowledged_by"]
    inlines = [JournalInline]
    readonly_fields = [field.name for field in Alarm._meta.fields]
    date_hierarchy = "received_at"
    actions = ["acknowledge"]
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # alarms arrive as events

    @admin.action(description="Acknowledge selected alarms")
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Alarm]) -> None:
        """Acknowledge the selected alarms in the signed-in admin's name (live pages update)."""
        count = services.alarm_acknowledge_many(
            alarm_ids=queryset.values_list("id", flat=True), by=request.user.get_username()
        )
        self.message_user(request, f"{count} alarm(s) acknowledged.", messages.SUCCESS)
