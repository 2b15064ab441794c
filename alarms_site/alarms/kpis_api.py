"""``GET /api/alarms/kpis/``: the alarm-management KPIs of a window ending now, for people and the status page."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alarms_site.alarms.kpis import alarm_kpis
from alarms_site.alarms.kpis_serializers import KpisQuerySerializer, KpisSerializer


class AlarmKpisApi(APIView):
    """Annunciations per flood window, floods, standing and chattering alarms, bad actors, the priority mix.

    Any signed-in user may read them; there is no model behind them for model permissions to check.
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[KpisQuerySerializer], responses=KpisSerializer)
    def get(self, request: Request) -> Response:
        query = KpisQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(KpisSerializer(alarm_kpis(window=query.validated_data["window"])).data)
