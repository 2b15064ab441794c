"""Socket limits: slots per process and a message rate per socket."""

from __future__ import annotations

from alarms_site.alarms.sockets import MessageRate, SocketSlots


def test_it_admits_up_to_the_limit_and_again_once_a_slot_is_given_back():
    slots = SocketSlots()

    admitted = [slots.admit(name, limit=2) for name in ("a", "b", "c")]
    slots.release("a")
    slots.release("a")  # twice: harmless

    assert admitted == [True, True, False]
    assert slots.admit("c", limit=2) is True
    assert slots.admit("b", limit=2) is True  # a holder already in keeps its slot
    assert len(slots) == 2


def test_it_lets_a_burst_through_then_one_message_per_interval():
    now = [0.0]
    rate = MessageRate(per_second=1.0, burst=3, clock=lambda: now[0])

    burst = [rate.allow() for _ in range(4)]
    now[0] = 0.5
    too_soon = rate.allow()
    now[0] = 1.0
    refilled = rate.allow()
    now[0] = 100.0
    capped = [rate.allow() for _ in range(4)]

    assert burst == [True, True, True, False]
    assert (too_soon, refilled) == (False, True)
    assert capped == [True, True, True, False]  # idle time refills the burst, no more
