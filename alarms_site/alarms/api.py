"""The alarms REST API: validate input, call a service or selector, show the result.

Any signed-in user may read alarms; acknowledging, assigning and commenting need
``alarms.change_alarm``, shelving ``alarms.shelve_alarm``, and taking a building out of
service ``alarms.add_outofservice`` (back: ``delete``). Each is recorded in the signed-in
user's name.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.permissions import DjangoModelPermissions, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alarms_site.alarms import services
from alarms_site.alarms.assignments import alarm_assign_many, alarm_comment_many, alarm_unassign_many
from alarms_site.alarms.changes import AlarmActionRefused
from alarms_site.alarms.filters import AlarmFilter
from alarms_site.alarms.journal import journal_of
from alarms_site.alarms.models import Alarm
from alarms_site.alarms.outofservice import (
    AlreadyInThatState,
    building_return_to_service,
    building_take_out_of_service,
    staff_holds,
)
from alarms_site.alarms.selectors import alarm_counts_per_minute, alarm_list
from alarms_site.alarms.serializers import (
    AlarmOutputSerializer,
    AssignSerializer,
    CommentSerializer,
    ErrorSerializer,
    JournalEntrySerializer,
    MinuteCountsSerializer,
    OutOfServiceSerializer,
    PerMinuteQuerySerializer,
    ShelveSerializer,
)
from alarms_site.alarms.shelving import alarm_shelve_many, alarm_unshelve_many
from sitekit.pagination import StrictPageNumberPagination
from sitekit.retrieve import QuickRetrieveMixin


class MayChange(DjangoModelPermissions):
    """Acknowledging, assigning and commenting change an alarm: POST needs ``change``, not DRF's ``add``."""

    perms_map = {**DjangoModelPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


class MayShelve(DjangoModelPermissions):
    """Shelving takes a supervisor's ``alarms.shelve_alarm``, apart from acknowledging."""

    perms_map = {**DjangoModelPermissions.perms_map, "POST": ["%(app_label)s.shelve_%(model_name)s"]}


class ActionConflict(APIException):
    """409: the alarm's state does not allow the action (acknowledging an acknowledged alarm...)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _answer(act: Callable[[], object], alarm: Alarm) -> Response:
    """Run a strict service call on ``alarm``; the alarm as it is now, or 409 with the service's reason."""
    try:
        act()
    except AlarmActionRefused as refusal:
        raise ActionConflict(str(refusal)) from refusal
    alarm.refresh_from_db()
    return Response(AlarmOutputSerializer(alarm).data)


def _valid(serializer_class: type, request: Request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


ACTION_RESPONSES = {200: AlarmOutputSerializer, 409: ErrorSerializer}


class AlarmPages(StrictPageNumberPagination):
    """``?page_size=`` up to ``ALARMS_LIVE_WINDOW``: the live page loads its whole window in one request."""

    page_size_query_param = "page_size"

    @property
    def max_page_size(self) -> int:
        return max(settings.ALARMS_LIVE_WINDOW, settings.REST_FRAMEWORK["PAGE_SIZE"])


class AlarmViewSet(QuickRetrieveMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alarms, newest first (or ``order=priority``), with filters; the operator's actions on one alarm.

    Each action answers the alarm as it is after it, or 409 when its state does not allow it;
    every action is journaled in the signed-in user's name.
    """

    serializer_class = AlarmOutputSerializer
    filterset_class = AlarmFilter
    pagination_class = AlarmPages

    def get_queryset(self):
        return alarm_list()

    @extend_schema(request=None, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, MayChange])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        """Acknowledge the alarm; 409 when it is acknowledged or closed already."""
        alarm = self.get_object()
        return _answer(lambda: services.alarm_acknowledge(alarm=alarm, by=request.user.get_username()), alarm)

    @extend_schema(request=ShelveSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, MayShelve])
    def shelve(self, request: Request, pk: str | None = None) -> Response:
        """Shelve the alarm for ``minutes`` (none: until it clears), with a reason; 409 when closed or shelved."""
        alarm = self.get_object()
        data = _valid(ShelveSerializer, request)
        by = request.user.get_username()
        minutes = data.get("minutes")  # None: until it clears
        return _answer(
            lambda: alarm_shelve_many(alarm_ids=[alarm.pk], by=by, reason=data["reason"], minutes=minutes, strict=True),
            alarm,
        )

    @extend_schema(request=None, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, MayShelve])
    def unshelve(self, request: Request, pk: str | None = None) -> Response:
        """End the alarm's shelve; 409 when it is not shelved."""
        alarm = self.get_object()
        by = request.user.get_username()
        return _answer(lambda: alarm_unshelve_many(alarm_ids=[alarm.pk], by=by, strict=True), alarm)

    @extend_schema(request=AssignSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, MayChange])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        """Assign the alarm to an active user by username; 409 when closed, assigned to them, or no such user."""
        alarm = self.get_object()
        to = _valid(AssignSerializer, request)["assignee"]
        by = request.user.get_username()
        return _answer(lambda: alarm_assign_many(alarm_ids=[alarm.pk], to=to, by=by, strict=True), alarm)

    @extend_schema(request=None, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, MayChange])
    def unassign(self, request: Request, pk: str | None = None) -> Response:
        """Take the alarm off its assignee; 409 when it is not assigned."""
        alarm = self.get_object()
        by = request.user.get_username()
        return _answer(lambda: alarm_unassign_many(alarm_ids=[alarm.pk], by=by, strict=True), alarm)

    @extend_schema(request=CommentSerializer, responses=ACTION_RESPONSES)
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, MayChange])
    def comment(self, request: Request, pk: str | None = None) -> Response:
        """Add a comment to the alarm's journal (closed alarms too)."""
        alarm = self.get_object()
        text = _valid(CommentSerializer, request)["text"]
        by = request.user.get_username()
        return _answer(lambda: alarm_comment_many(alarm_ids=[alarm.pk], text=text, by=by), alarm)

    @extend_schema(responses=JournalEntrySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])  # the whole journal
    def journal(self, request: Request, pk: str | None = None) -> Response:
        """What happened to the alarm, oldest first: every change, who made it and when."""
        alarm = self.get_object()
        return Response(JournalEntrySerializer(journal_of(alarm_id=alarm.pk), many=True).data)


class OutOfServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Buildings staff took out of service: their alarms are stored and counted, not annunciated.

    ``POST`` takes a building out of service (``add`` permission), ``DELETE`` puts it back
    (``delete``); 409 when staff hold it so already. These are staff's holds only: a
    building a maintenance workflow holds stays out of service until that ends too.
    """

    serializer_class = OutOfServiceSerializer
    queryset = staff_holds()
    lookup_field = "building_id"
    lookup_value_regex = "[0-9]{1,10}"
    filter_backends: list = []

    @extend_schema(responses={201: OutOfServiceSerializer, 400: None, 409: ErrorSerializer})
    def create(self, request: Request) -> Response:
        data = _valid(OutOfServiceSerializer, request)
        try:
            record = building_take_out_of_service(
                building_id=data["building_id"], by=request.user.get_username(), reason=data["reason"]
            )
        except AlreadyInThatState as refusal:
            raise ActionConflict(str(refusal)) from refusal
        return Response(OutOfServiceSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, 409: ErrorSerializer})
    def destroy(self, request: Request, building_id: str | None = None) -> Response:
        record = self.get_object()
        try:
            building_return_to_service(building_id=record.building_id, by=request.user.get_username())
        except AlreadyInThatState as refusal:
            raise ActionConflict(str(refusal)) from refusal
        return Response(status=status.HTTP_204_NO_CONTENT)


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
