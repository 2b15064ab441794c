"""The alarms REST API: validate input, call a service or selector, show the result.

Open to everyone for now; authentication arrives with its own issue, as
``permission_classes`` here and ``acknowledger`` reading the signed-in user.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alarms_site.alarms import services
from alarms_site.alarms.filters import AlarmFilter
from alarms_site.alarms.selectors import alarm_counts_per_minute, alarm_list
from alarms_site.alarms.serializers import (
    AlarmAcknowledgeInputSerializer,
    AlarmOutputSerializer,
    MinuteCountsSerializer,
    PerMinuteQuerySerializer,
)

ANONYMOUS = "anonymous"


class AlarmViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alarms, newest first, filterable by ``building_id``, ``severity`` and ``acknowledged``."""

    serializer_class = AlarmOutputSerializer
    filterset_class = AlarmFilter
    permission_classes = [AllowAny]

    def get_queryset(self):
        return alarm_list()

    @extend_schema(request=AlarmAcknowledgeInputSerializer, responses=AlarmOutputSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        """Acknowledge the alarm; acknowledging it again keeps the first acknowledgement."""
        alarm = self.get_object()
        serializer = AlarmAcknowledgeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        alarm = services.alarm_acknowledge(alarm=alarm, by=acknowledger(request, serializer.validated_data))
        return Response(AlarmOutputSerializer(alarm).data)


def acknowledger(request: Request, data: dict) -> str:
    """Who acknowledges: the signed-in user, else the name given, else "anonymous"."""
    if request.user.is_authenticated:
        return request.user.get_username()
    return data.get("acknowledged_by") or ANONYMOUS


class AlarmsPerMinuteApi(APIView):
    """Alarms stored per minute by severity, oldest minute first, for the status page's chart.

    No ``permission_classes`` here on purpose: the project's defaults apply.
    """

    @extend_schema(parameters=[PerMinuteQuerySerializer], responses=MinuteCountsSerializer(many=True))
    def get(self, request: Request) -> Response:
        query = PerMinuteQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        counts = alarm_counts_per_minute(minutes=query.validated_data["minutes"])
        return Response(MinuteCountsSerializer(counts, many=True).data)
