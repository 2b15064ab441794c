"""The alarms REST API: validate input, call a service or selector, show the result.

Any signed-in user may read alarms; acknowledging needs ``alarms.change_alarm`` and is
recorded in the signed-in user's name.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.permissions import DjangoModelPermissions, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alarms_site.alarms import services
from alarms_site.alarms.filters import AlarmFilter
from alarms_site.alarms.journal import journal_of
from alarms_site.alarms.selectors import alarm_counts_per_minute, alarm_list
from alarms_site.alarms.serializers import (
    AlarmOutputSerializer,
    ErrorSerializer,
    JournalEntrySerializer,
    MinuteCountsSerializer,
    PerMinuteQuerySerializer,
)
from sitekit.retrieve import QuickRetrieveMixin


class MayAcknowledge(DjangoModelPermissions):
    """Acknowledging changes an alarm, so the POST needs ``change``, not ``add`` as DRF maps it."""

    perms_map = {**DjangoModelPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


class ActionConflict(APIException):
    """409: the alarm's state does not allow the action (acknowledging an acknowledged alarm...)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class AlarmViewSet(QuickRetrieveMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alarms, newest first, filterable by ``building_id``, ``severity`` and ``acknowledged``."""

    serializer_class = AlarmOutputSerializer
    filterset_class = AlarmFilter

    def get_queryset(self):
        return alarm_list()

    @extend_schema(request=None, responses={200: AlarmOutputSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, MayAcknowledge])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        """Acknowledge the alarm as the signed-in user; 409 when it is acknowledged or closed already."""
        try:
            alarm = services.alarm_acknowledge(alarm=self.get_object(), by=request.user.get_username())
        except services.AlarmActionRefused as refusal:
            raise ActionConflict(str(refusal)) from refusal
        return Response(AlarmOutputSerializer(alarm).data)

    @extend_schema(responses=JournalEntrySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])  # the whole journal
    def journal(self, request: Request, pk: str | None = None) -> Response:
        """What happened to the alarm, oldest first: every transition, who made it and when."""
        alarm = self.get_object()
        return Response(JournalEntrySerializer(journal_of(alarm_id=alarm.pk), many=True).data)


class AlarmsPerMinuteApi(APIView):
    """Alarms stored per minute by severity, oldest minute first, for the status page's chart.

    Any signed-in user may read it; there is no model behind it for model permissions to check.
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[PerMinuteQuerySerializer], responses=MinuteCountsSerializer(many=True))
    def get(self, request: Request) -> Response:
        query = PerMinuteQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        counts = alarm_counts_per_minute(minutes=query.validated_data["minutes"])
        return Response(MinuteCountsSerializer(counts, many=True).data)
