"""Test support for sites that install the outbox: rows for the admin list checks."""

from __future__ import annotations

from django.utils import timezone

from bridge.outbox.models import OutboxMessage


def many_outbox_messages(count: int) -> None:
    now = timezone.now()
    OutboxMessage.objects.bulk_create(
        OutboxMessage(subject="test.subject", payload={"index": index}, key=f"key-{index}", next_attempt_at=now)
        for index in range(count)
    )


# For ``sitekit.admin_checks.AdminListChecks.site_rows`` of every site with the outbox app.
OUTBOX_ROWS = {"bridge.OutboxMessage": many_outbox_messages}
