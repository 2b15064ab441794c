from django.contrib import admin

from bridge.outbox.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "subject", "key", "state", "attempts", "next_attempt_at", "created_at"]
    list_filter = ["subject", ("delivered_at", admin.EmptyFieldListFilter), ("failed_at", admin.EmptyFieldListFilter)]
    search_fields = ["key", "trace_id", "last_error"]
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
