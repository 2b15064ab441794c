"""Alarms raised in buildings, as received from ``alarm.created`` events, and their journal.

An alarm's ``state`` follows ISA-18.2: it is raised ``active_unacknowledged``; an
acknowledgement and a clear (the condition back to normal), in either order, close it.
Apart from the state, an operator may shelve an alarm (it stops being annunciated for a
while, or until it clears), assign it and comment on it; a building taken out of service
has its alarms stored and counted but not annunciated. Every change is journaled.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinLengthValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from alarms_site.alarms.priorities import priority_of

# building_id is a PostgreSQL ``integer``: anything larger must be refused at validation,
# or one bad event would fail its whole batch on insert, again and again.
MAX_BUILDING_ID = 2_147_483_647
SYSTEM_ACTOR = "system"  # who the journal names when no person acted (a clear event, a re-raise)


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"
    WARNING = "warning", "Warning"
    INFO = "info", "Info"


class State(models.TextChoices):
    ACTIVE_UNACKNOWLEDGED = "active_unacknowledged", "Active, unacknowledged"
    ACTIVE_ACKNOWLEDGED = "active_acknowledged", "Active, acknowledged"
    CLEARED_UNACKNOWLEDGED = "cleared_unacknowledged", "Cleared, unacknowledged"
    CLOSED = "closed", "Closed"


# The one open alarm per (building, source, name): ingest's upsert names this index's
# predicate (alarms_site/alarms/upserts.py), so both must change together.
OPEN_WITH_SOURCE = models.Q(source__isnull=False) & ~models.Q(state=State.CLOSED)


class Alarm(models.Model):
    event_id = models.UUIDField(unique=True, editable=False, help_text="Id of the alarm.created event that raised it.")
    name = models.CharField(max_length=200, validators=[MinLengthValidator(1)])
    building_id = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_BUILDING_ID)])
    source = models.CharField(
        max_length=200,
        null=True,
        blank=True,
        help_text="The point in the building that raised it; repeats of an open alarm from it count here.",
    )
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.MINOR)
    state = models.CharField(
        max_length=32,
        choices=State.choices,
        default=State.ACTIVE_UNACKNOWLEDGED,
        db_default=State.ACTIVE_UNACKNOWLEDGED,
    )
    occurred_at = models.DateTimeField(help_text="When the alarm went off (the event's occurredAt).")
    occurrences = models.PositiveIntegerField(default=1, db_default=1, help_text="Raises counted while open.")
    last_occurred_at = models.DateTimeField(null=True, blank=True, help_text="The latest raise's occurredAt.")
    received_at = models.DateTimeField(default=timezone.now, help_text="When this service stored it.")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True, default="", db_default="")
    cleared_at = models.DateTimeField(null=True, blank=True, help_text="When the condition last returned to normal.")
    # Every column below has a database default, so ingest sends none of them (sitekit.inserts).
    shelved_at = models.DateTimeField(null=True, blank=True, help_text="Set while the alarm is shelved.")
    shelved_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a timed shelve ends by itself; empty for a one-shot shelve (until it clears).",
    )
    shelved_by = models.CharField(max_length=150, blank=True, default="", db_default="")
    shelve_reason = models.CharField(max_length=500, blank=True, default="", db_default="")
    assignee = models.CharField(
        max_length=150,
        blank=True,
        default="",
        db_default="",
        help_text="Username of the alarms-site user it is assigned to.",
    )
    comments = models.PositiveIntegerField(default=0, db_default=0, help_text="Comments in its journal.")
    out_of_service = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Its building is out of service: stored and counted, not annunciated.",
    )
    annunciated = models.BooleanField(
        default=True,
        db_default=True,
        help_text="Shown to operators when raised (not raised out of service); for the KPIs.",
    )
    chattering = models.BooleanField(
        default=False, db_default=False, help_text="It went on and off too often (ALARMS_CHATTER_*)."
    )
    escalated_at = models.DateTimeField(
        null=True, blank=True, help_text="When nobody had acknowledged it in time and it asked for a response workflow."
    )
    workflow_id = models.BigIntegerField(
        null=True, blank=True, help_text="The response workflow the workflows service opened for it."
    )

    class Meta:
        # Ids follow commit order (see services.alarm_store_batch), so this is "newest first".
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["building_id", "-id"], name="alarm_building_idx"),
            models.Index(fields=["severity", "-id"], name="alarm_severity_idx"),
            models.Index(fields=["received_at"], name="alarm_received_idx"),
            models.Index(fields=["-id"], name="alarm_unacknowledged_idx", condition=models.Q(acknowledged_at=None)),
            models.Index(fields=["state", "-id"], name="alarm_state_idx"),
            models.Index(
                fields=["shelved_until"], name="alarm_shelve_ends_idx", condition=models.Q(shelved_until__isnull=False)
            ),
            models.Index(
                fields=["received_at"],
                name="alarm_escalation_due_idx",
                condition=models.Q(state=State.ACTIVE_UNACKNOWLEDGED, escalated_at__isnull=True),
            ),
        ]
        permissions = [("shelve_alarm", "Can shelve and unshelve alarms (a supervisor's right)")]
        constraints = [
            models.UniqueConstraint(
                fields=["building_id", "source", "name"], condition=OPEN_WITH_SOURCE, name="alarm_one_open_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.name} (building {self.building_id})"

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def priority(self) -> str:
        """From the severity, by ``ALARMS_PRIORITY_BY_SEVERITY`` (not stored: a change applies to every alarm)."""
        return priority_of(self.severity)

    @property
    def is_shelved(self) -> bool:
        return self.shelved_at is not None

    @property
    def is_annunciated_now(self) -> bool:
        """Whether the live page's main list shows it: open, not shelved, its building in service."""
        return self.state != State.CLOSED and not self.is_shelved and not self.out_of_service


class SourcedEvent(models.Model):
    """Ids of the ``alarm.created`` events with a source already counted.

    A repeat adds to an open alarm instead of a row, so its id is kept here: a redelivered
    repeat is then skipped, not counted twice.
    """

    event_id = models.UUIDField(primary_key=True)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.event_id)


class Action(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", "Acknowledged"
    CLEAR = "clear", "Cleared"
    RERAISE = "reraise", "Raised again"
    SHELVE = "shelve", "Shelved"
    UNSHELVE = "unshelve", "Unshelved"
    ASSIGN = "assign", "Assigned"
    UNASSIGN = "unassign", "Unassigned"
    COMMENT = "comment", "Commented"
    OUT_OF_SERVICE = "out_of_service", "Building out of service"
    RETURN_TO_SERVICE = "return_to_service", "Building back in service"
    CHATTERING = "chattering", "Marked chattering"
    CLOSE = "close", "Closed by the system"
    ESCALATE = "escalate", "Escalated"


class JournalEntry(models.Model):
    """One thing that happened to an alarm; written once, never changed (append-only)."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="journal")
    action = models.CharField(max_length=32, choices=Action.choices)
    actor = models.CharField(max_length=150, help_text=f'Who acted, or "{SYSTEM_ACTOR}".')
    at = models.DateTimeField(default=timezone.now)
    from_state = models.CharField(max_length=32, choices=State.choices, blank=True)
    to_state = models.CharField(max_length=32, choices=State.choices, blank=True)
    note = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["alarm_id", "id"]
        verbose_name_plural = "journal entries"
        # The KPIs count alarms marked chattering in a window, on every /metrics scrape too:
        # a small index of those entries only, not a scan of the whole journal.
        indexes = [
            models.Index(fields=["at"], name="journal_chattering_idx", condition=models.Q(action=Action.CHATTERING))
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor} at {self.at:%Y-%m-%d %H:%M:%S}"


STAFF_HOLDER = "staff"  # the hold staff put on a building (REST API, admin); one per building


class OutOfService(models.Model):
    """One hold keeping a building out of service: staff's, or an active maintenance workflow's.

    A building is out of service while it has at least one hold (``outofservice.py``): its
    alarms are then stored and counted, not annunciated.
    """

    building_id = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_BUILDING_ID)])
    holder = models.CharField(
        max_length=40,
        default=STAFF_HOLDER,
        help_text=f'"{STAFF_HOLDER}", or "workflow <id>" for a maintenance workflow while it is active.',
    )
    since = models.DateTimeField(default=timezone.now)
    by = models.CharField(max_length=150, help_text=f'Who took it out of service, or "{SYSTEM_ACTOR}".')
    reason = models.CharField(max_length=500)

    class Meta:
        ordering = ["building_id", "id"]
        verbose_name = "building out of service"
        verbose_name_plural = "buildings out of service"
        constraints = [
            models.UniqueConstraint(fields=["building_id", "holder"], name="outofservice_one_hold_per_holder")
        ]

    def __str__(self) -> str:
        return f"building {self.building_id} out of service ({self.holder}) since {self.since:%Y-%m-%d %H:%M}"


class DeletedBuilding(models.Model):
    """A building the buildings service deleted (``building.deleted``): its open alarms were closed, once."""

    building_id = models.PositiveIntegerField(
        unique=True, validators=[MinValueValidator(1), MaxValueValidator(MAX_BUILDING_ID)]
    )
    event_id = models.UUIDField(help_text="Id of the building.deleted event acted on.")
    deleted_at = models.DateTimeField(help_text="When the buildings service deleted it.")
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"building {self.building_id} deleted at {self.deleted_at:%Y-%m-%d %H:%M}"


class MaintenanceWorkflow(models.Model):
    """A maintenance workflow as last announced (``workflow.status_changed``), to apply only newer events."""

    workflow_id = models.BigIntegerField(unique=True)
    building_id = models.BigIntegerField()
    status = models.CharField(max_length=16, help_text="new, active, completed or cancelled.")
    version = models.BigIntegerField(help_text="The version of the newest event applied; older ones change nothing.")
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"maintenance workflow {self.workflow_id} {self.status} (v{self.version})"


class PublishedCount(models.Model):
    """A building's open alarms as last announced on ``alarms.open_counts``; no row: announced as 0, or never any."""

    building_id = models.PositiveIntegerField(
        primary_key=True, validators=[MinValueValidator(1), MaxValueValidator(MAX_BUILDING_ID)]
    )
    open_alarms = models.PositiveIntegerField()
    published_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"building {self.building_id}: {self.open_alarms} open alarms"
