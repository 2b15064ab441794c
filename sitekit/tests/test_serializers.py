"""OutputModelSerializer shows objects exactly as DRF's ModelSerializer does, by a shorter path when it can."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from rest_framework import serializers

from sitekit.serializers import OutputModelSerializer
from workflows_site.workflows.models import Workflow, WorkflowStatus

pytestmark = pytest.mark.django_db


class PlainDrf(serializers.ModelSerializer):
    class Meta:
        model = Workflow
        fields = "__all__"


class Shown(OutputModelSerializer):
    class Meta:
        model = Workflow
        fields = "__all__"


class ShownWithMethod(OutputModelSerializer):
    label = serializers.SerializerMethodField()

    class Meta:
        model = Workflow
        fields = ["id", "name", "label"]

    def get_label(self, workflow: Workflow) -> str:
        return workflow.name.upper()


@pytest.fixture
def workflows() -> list[Workflow]:
    return [
        Workflow.objects.create(name="First", building_id=1),  # no idempotency key: a None value
        Workflow.objects.create(name="Second", building_id=2, idempotency_key="key-2"),
    ]


def test_it_shows_objects_as_drf_does(workflows):
    assert [dict(row) for row in Shown(workflows, many=True).data] == PlainDrf(workflows, many=True).data
    assert dict(Shown(workflows[0]).data) == PlainDrf(workflows[0]).data


def test_it_takes_the_short_path_only_when_every_field_is_one_attribute(workflows):
    shown = Shown(workflows[0]).data
    with_method = ShownWithMethod(workflows[0]).data

    assert [name for name, *_ in Shown._plan_once] == list(PlainDrf().fields)
    assert ShownWithMethod._plan_once is None  # a method field: DRF's own path, same result
    assert dict(with_method) == {"id": workflows[0].pk, "name": "First", "label": "FIRST"}
    assert dict(shown) == PlainDrf(workflows[0]).data


class NumberedDrf(serializers.ModelSerializer):
    name = serializers.ChoiceField(choices=[(1, "one"), ("2", "two")])

    class Meta:
        model = Workflow
        fields = ["id", "name"]


class Numbered(OutputModelSerializer):
    name = serializers.ChoiceField(choices=[(1, "one"), ("2", "two")])

    class Meta:
        model = Workflow
        fields = ["id", "name"]


def test_values_shown_as_they_are_or_not_come_out_as_drf_shows_them():
    """The short path keeps a value only where DRF would give back the same: enum members, zones and
    naive datetimes, a bool where an int is expected, a choice string that stands for an int."""
    east = timezone(timedelta(hours=2))
    unsaved = [
        Workflow(id=7, name="Plain", building_id=True, status=WorkflowStatus.ACTIVE, version=3,
                 created_at=datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=east), updated_at=datetime(2026, 5, 1, 9)),
        Workflow(id=8, name="1", building_id=2**40, status="unknown", version=0,
                 created_at=datetime(2026, 5, 1, 10, tzinfo=UTC), updated_at=datetime(2026, 5, 1, 10, 1, tzinfo=UTC)),
    ]  # fmt: skip

    assert [dict(row) for row in Shown(unsaved, many=True).data] == PlainDrf(unsaved, many=True).data
    assert Shown(unsaved[0]).data["created_at"] == "2026-05-01T10:00:00.123456Z"
    assert Shown(unsaved[0]).data["building_id"] == 1  # DRF's int(True), not True
    assert [dict(row) for row in Numbered(unsaved, many=True).data] == NumberedDrf(unsaved, many=True).data
    assert Numbered(unsaved[1]).data["name"] == 1  # the choice "1" stands for 1
