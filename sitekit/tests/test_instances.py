"""new_instances builds what Model(**values) builds."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.forms.models import model_to_dict
from django.utils import timezone

from sitekit.instances import new_instances
from workflows_site.workflows.models import Workflow


def test_it_builds_what_the_model_builds():
    rows = [{"name": "First", "building_id": 1}, {"name": "Second", "building_id": 2, "status": "active", "version": 4}]

    built = new_instances(Workflow, rows)
    expected = [Workflow(**row) for row in rows]

    assert [model_to_dict(obj) for obj in built] == [model_to_dict(obj) for obj in expected]
    assert [obj.__dict__.keys() for obj in built] == [obj.__dict__.keys() for obj in expected]
    assert all(obj._state.adding and obj.pk is None for obj in built)


def test_a_callable_default_is_called_for_each_object_and_a_given_value_kept():
    given = timezone.now() - timedelta(days=3)
    field = User._meta.get_field("date_joined")  # default=timezone.now, called through its cached _get_default
    later = mock.Mock(side_effect=[given + timedelta(days=1), given + timedelta(days=2)])
    with mock.patch.dict(field.__dict__, {"_get_default": later}):
        built = new_instances(User, [{"username": "a"}, {"username": "b"}, {"username": "c", "date_joined": given}])

    assert [user.date_joined - given for user in built] == [timedelta(days=1), timedelta(days=2), timedelta(0)]
    assert [user.is_active for user in built] == [True, True, True]  # a plain default


def test_an_unknown_name_is_refused_as_the_model_refuses_it():
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        new_instances(Workflow, [{"name": "x", "colour": "red"}])
