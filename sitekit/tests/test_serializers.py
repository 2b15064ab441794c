"""OutputModelSerializer shows objects exactly as DRF's ModelSerializer does, by a shorter path when it can."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from sitekit.serializers import OutputModelSerializer
from workflows_site.workflows.models import Workflow

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

    assert [name for name, _, _ in Shown._plan_once] == list(PlainDrf().fields)
    assert ShownWithMethod._plan_once is None  # a method field: DRF's own path, same result
    assert dict(with_method) == {"id": workflows[0].pk, "name": "First", "label": "FIRST"}
    assert dict(shown) == PlainDrf(workflows[0]).data
