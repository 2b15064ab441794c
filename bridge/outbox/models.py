"""The transactional outbox: requests written in the same transaction as the data that needs them.

A site that must not lose a request (a building must get its workflow) stores it here in
its own database, commits, and only then sends it. The bridge process re-sends whatever is
still pending, so a crash, a timeout or a downed peer only delays the request.
"""

from __future__ import annotations

from django.db import models


class OutboxMessage(models.Model):
    subject = models.CharField(max_length=200)
    payload = models.JSONField()
    key = models.CharField(max_length=200, unique=True, help_text="Idempotency key sent with the request.")
    trace_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_pending_idx",
                condition=models.Q(delivered_at__isnull=True, failed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.key}"

    @property
    def state(self) -> str:
        """pending, delivered or failed."""
        if self.delivered_at:
            return "delivered"
        if self.failed_at:
            return "failed"
        return "pending"
