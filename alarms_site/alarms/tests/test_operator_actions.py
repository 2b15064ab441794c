"""Shelve, unshelve, assign, comment, out of service and chattering: each rule, each refusal, each journal entry."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings
from django.utils import timezone

from alarms_site.alarms import services
from alarms_site.alarms.assignments import alarm_assign_many, alarm_comment_many, alarm_unassign_many
from alarms_site.alarms.changes import AlarmActionRefused
from alarms_site.alarms.models import Alarm, State
from alarms_site.alarms.outofservice import (
    AlreadyInThatState,
    building_return_to_service,
    building_take_out_of_service,
)
from alarms_site.alarms.selectors import ANNUNCIATED_NOW, alarm_ordered
from alarms_site.alarms.shelving import alarm_shelve_many, alarm_shelves_expire, alarm_unshelve_many
from alarms_site.alarms.tests.factories import event, stored_alarms


def fresh(alarm: Alarm) -> Alarm:
    return Alarm.objects.get(pk=alarm.pk)


def journal(alarm: Alarm) -> list[tuple[str, str, str]]:
    return list(alarm.journal.values_list("action", "actor", "note"))


def sourced(**overrides) -> dict:
    return event(name="Supply temperature high", source="ahu-3/supply-temp", **overrides)


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class ShelveTests(TestCase):
    def test_a_timed_shelve_takes_the_alarm_off_the_annunciated_list_until_its_time_is_up(self):
        [alarm] = stored_alarms(1)
        before = timezone.now()

        alarm_shelve_many(alarm_ids=[alarm.pk], by="sam", reason="sensor being replaced", minutes=30, strict=True)

        shelved = fresh(alarm)
        self.assertTrue(shelved.is_shelved)
        self.assertEqual((shelved.shelved_by, shelved.shelve_reason), ("sam", "sensor being replaced"))
        self.assertAlmostEqual(shelved.shelved_until, before + timedelta(minutes=30), delta=timedelta(seconds=5))
        self.assertFalse(Alarm.objects.filter(ANNUNCIATED_NOW).exists())
        self.assertEqual(journal(alarm), [("shelve", "sam", "sensor being replaced (for 30 min)")])

    def test_the_scheduled_check_ends_only_the_shelves_whose_time_is_up_once(self):
        short, long_ = stored_alarms(2)
        alarm_shelve_many(alarm_ids=[short.pk], by="sam", reason="r", minutes=5)
        alarm_shelve_many(alarm_ids=[long_.pk], by="sam", reason="r", minutes=60)
        later = timezone.now() + timedelta(minutes=6)

        self.assertEqual(alarm_shelves_expire(now=later), 1)
        self.assertEqual(alarm_shelves_expire(now=later), 0)

        self.assertFalse(fresh(short).is_shelved)
        self.assertTrue(fresh(long_).is_shelved)
        self.assertEqual(journal(short)[-1], ("unshelve", "system", "shelve time ended"))

    def test_a_one_shot_shelve_ends_when_the_alarm_clears(self):
        [alarm] = services.alarm_store_batch(events=[sourced()])
        alarm_shelve_many(alarm_ids=[alarm.pk], by="sam", reason="known fault", minutes=None)
        self.assertIsNone(fresh(alarm).shelved_until)

        services.alarm_clear_from_event(event={"alarm_event_id": alarm.event_id})

        cleared = fresh(alarm)
        self.assertEqual((cleared.state, cleared.is_shelved), (State.CLEARED_UNACKNOWLEDGED, False))
        self.assertEqual(journal(alarm)[-1], ("unshelve", "system", "one-shot shelve ended: the alarm cleared"))

    def test_a_timed_shelve_outlasts_a_clear_but_not_the_close(self):
        [alarm] = services.alarm_store_batch(events=[sourced()])
        alarm_shelve_many(alarm_ids=[alarm.pk], by="sam", reason="r", minutes=60)

        services.alarm_clear_from_event(event={"alarm_event_id": alarm.event_id})
        self.assertTrue(fresh(alarm).is_shelved)

        services.alarm_acknowledge(alarm=fresh(alarm), by="jane")
        closed = fresh(alarm)
        self.assertEqual((closed.state, closed.is_shelved), (State.CLOSED, False))

    def test_it_refuses_to_shelve_twice_a_closed_alarm_or_for_longer_than_the_maximum(self):
        alarm, closed = stored_alarms(2)
        closed.state = State.CLOSED
        closed.save()
        alarm_shelve_many(alarm_ids=[alarm.pk], by="sam", reason="r", minutes=10)

        for alarm_id, minutes, message in [
            (alarm.pk, 10, "is shelved already"),
            (closed.pk, 10, "is closed"),
            (alarm.pk, 8 * 60 + 1, "1 to 480 minutes"),
        ]:
            with self.subTest(message), self.assertRaisesMessage(AlarmActionRefused, message):
                alarm_shelve_many(alarm_ids=[alarm_id], by="sam", reason="r", minutes=minutes, strict=True)
        self.assertEqual(len(journal(alarm)), 1)

    def test_unshelve_refuses_an_alarm_that_is_not_shelved(self):
        [alarm] = stored_alarms(1)
        with self.assertRaisesMessage(AlarmActionRefused, "cannot unshelve: alarm"):
            alarm_unshelve_many(alarm_ids=[alarm.pk], by="sam", strict=True)


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class AssignAndCommentTests(TestCase):
    def test_assign_then_unassign_is_journaled_and_a_repeat_is_refused(self):
        [alarm] = stored_alarms(1)
        get_user_model().objects.create_user("kim")
        get_user_model().objects.create_user("gone", is_active=False)
        for nobody in ("nobody", "gone"):
            with self.assertRaisesMessage(AlarmActionRefused, f"there is no active user {nobody!r}"):
                alarm_assign_many(alarm_ids=[alarm.pk], to=nobody, by="sam", strict=True)

        alarm_assign_many(alarm_ids=[alarm.pk], to="kim", by="sam", strict=True)
        with self.assertRaisesMessage(AlarmActionRefused, "is assigned to kim already"):
            alarm_assign_many(alarm_ids=[alarm.pk], to="kim", by="sam", strict=True)
        self.assertEqual(fresh(alarm).assignee, "kim")
        alarm_unassign_many(alarm_ids=[alarm.pk], by="kim", strict=True)
        with self.assertRaisesMessage(AlarmActionRefused, "is not assigned"):
            alarm_unassign_many(alarm_ids=[alarm.pk], by="kim", strict=True)

        self.assertEqual(fresh(alarm).assignee, "")
        self.assertEqual(journal(alarm), [("assign", "sam", "to kim"), ("unassign", "kim", "")])

    def test_comments_are_counted_and_kept_in_the_journal_closed_alarms_included(self):
        [alarm] = stored_alarms(1)
        Alarm.objects.filter(pk=alarm.pk).update(state=State.CLOSED)

        alarm_comment_many(alarm_ids=[alarm.pk], text="valve replaced", by="kim")
        alarm_comment_many(alarm_ids=[alarm.pk], text="checked again", by="sam")

        self.assertEqual(fresh(alarm).comments, 2)
        self.assertEqual(journal(alarm), [("comment", "kim", "valve replaced"), ("comment", "sam", "checked again")])


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class OutOfServiceTests(TestCase):
    def test_open_and_new_alarms_of_a_building_out_of_service_are_stored_but_not_annunciated(self):
        [open_], [other] = stored_alarms(1, building_id=4), stored_alarms(1, building_id=5)

        building_take_out_of_service(building_id=4, by="staff", reason="refurbishment")
        [new] = stored_alarms(1, building_id=4)
        [new_sourced] = services.alarm_store_batch(events=[sourced(building_id=4)])

        for alarm in (open_, new, new_sourced):
            self.assertTrue(fresh(alarm).out_of_service, alarm)
        self.assertEqual([fresh(alarm).annunciated for alarm in (open_, new, new_sourced)], [True, False, False])
        self.assertEqual(list(Alarm.objects.filter(ANNUNCIATED_NOW)), [other])
        self.assertEqual(journal(open_), [("out_of_service", "staff", "refurbishment")])

    def test_one_batch_across_buildings_in_and_out_of_service_stores_each_as_its_building_is(self):
        building_take_out_of_service(building_id=4, by="staff", reason="works")

        stored = services.alarm_store_batch(events=[event(building_id=4), event(building_id=5), event(building_id=4)])

        flags = [(alarm.building_id, alarm.out_of_service, alarm.annunciated) for alarm in map(fresh, stored)]
        self.assertEqual(flags, [(4, True, False), (5, False, True), (4, True, False)])

    def test_back_in_service_its_open_alarms_are_annunciated_again(self):
        [alarm] = stored_alarms(1, building_id=4)
        building_take_out_of_service(building_id=4, by="staff", reason="works")

        building_return_to_service(building_id=4, by="staff")
        [after] = stored_alarms(1, building_id=4)

        self.assertFalse(fresh(alarm).out_of_service)
        self.assertEqual((fresh(after).out_of_service, fresh(after).annunciated), (False, True))
        self.assertEqual(journal(alarm)[-1], ("return_to_service", "staff", ""))

    def test_it_refuses_taking_out_twice_or_returning_a_building_in_service(self):
        building_take_out_of_service(building_id=4, by="staff", reason="works")
        with self.assertRaises(AlreadyInThatState):
            building_take_out_of_service(building_id=4, by="staff", reason="again")
        with self.assertRaises(AlreadyInThatState):
            building_return_to_service(building_id=9, by="staff")


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class ChatteringTests(TestCase):
    def raise_and_clear(self, times: int) -> Alarm:
        [alarm] = services.alarm_store_batch(events=[sourced()])
        for _ in range(times):
            services.alarm_clear_from_event(event={"alarm_event_id": alarm.event_id})
            services.alarm_store_batch(events=[sourced()])
        return fresh(alarm)

    @override_settings(ALARMS_CHATTER_TRANSITIONS=4)
    def test_it_marks_an_alarm_chattering_at_the_transition_that_reaches_the_threshold_once(self):
        [alarm] = services.alarm_store_batch(events=[sourced()])
        services.alarm_clear_from_event(event={"alarm_event_id": alarm.event_id})
        services.alarm_store_batch(events=[sourced()])  # raise, clear, raise: 3
        self.assertFalse(fresh(alarm).chattering)

        services.alarm_clear_from_event(event={"alarm_event_id": alarm.event_id})  # 4
        services.alarm_store_batch(events=[sourced()])  # 5: marked already

        self.assertTrue(fresh(alarm).chattering)
        self.assertEqual([entry[0] for entry in journal(alarm)].count("chattering"), 1)
        self.assertFalse(fresh(alarm).is_shelved)  # automatic shelving is off by default

    @override_settings(ALARMS_CHATTER_WINDOW_SECONDS=60)
    def test_transitions_older_than_the_window_do_not_count(self):
        [alarm] = services.alarm_store_batch(events=[sourced()])
        services.alarm_clear_from_event(event={"alarm_event_id": alarm.event_id})
        old = timezone.now() - timedelta(seconds=61)
        Alarm.objects.filter(pk=alarm.pk).update(received_at=old)
        alarm.journal.update(at=old)

        services.alarm_store_batch(events=[sourced()])

        self.assertFalse(fresh(alarm).chattering)

    @override_settings(ALARMS_CHATTER_AUTO_SHELVE=True)
    def test_with_automatic_shelving_a_chattering_alarm_is_shelved_until_it_clears(self):
        alarm = self.raise_and_clear(1)

        self.assertTrue(alarm.chattering)
        self.assertEqual((alarm.is_shelved, alarm.shelved_until, alarm.shelved_by), (True, None, "system"))
        self.assertIn(("shelve", "system", "chattering (until it clears)"), journal(alarm))

    def test_alarms_without_a_source_never_chatter(self):
        [alarm] = stored_alarms(1)
        Alarm.objects.filter(pk=alarm.pk).update(state=State.ACTIVE_ACKNOWLEDGED)
        services.alarm_transition_many(alarm_ids=[alarm.pk], action="clear", actor="system")
        self.assertFalse(fresh(alarm).chattering)


@override_settings(ALARMS_LIVE_SUBJECT="test.alarms.live")
class PriorityOrderTests(TestCase):
    def test_unacknowledged_first_then_highest_priority_then_newest(self):
        minor_old, critical, minor_new = (
            stored_alarms(1, severity="minor")[0],
            stored_alarms(1, severity="critical")[0],
            stored_alarms(1, severity="minor")[0],
        )
        [acknowledged_critical] = stored_alarms(1, severity="critical")
        services.alarm_acknowledge(alarm=acknowledged_critical, by="jane")

        ordered = list(alarm_ordered(Alarm.objects.all(), order="priority"))

        self.assertEqual(ordered, [critical, minor_new, minor_old, acknowledged_critical])

    @override_settings(ALARMS_PRIORITY_BY_SEVERITY={"critical": "low", "major": "medium", "minor": "high",
                                                    "warning": "low", "info": "low"})  # fmt: skip
    def test_the_priority_follows_the_setting_for_old_alarms_too(self):
        minor, critical = stored_alarms(1, severity="minor")[0], stored_alarms(1, severity="critical")[0]

        self.assertEqual(list(alarm_ordered(Alarm.objects.all(), order="priority")), [minor, critical])
        self.assertEqual((fresh(minor).priority, fresh(critical).priority), ("high", "low"))
