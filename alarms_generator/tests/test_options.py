"""Command-line options: defaults, and a clear message for every value that cannot work."""

from __future__ import annotations

import argparse

import pytest

from alarms_generator.options import building_range, parse_options


def refusal(capsys, *argv: str) -> str:
    """The message ``argv`` stops the generator with (exit code 2, as argparse does)."""
    with pytest.raises(SystemExit) as exit_info:
        parse_options(list(argv))
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_it_reads_building_ranges_and_refuses_bad_ones():
    assert building_range("1-100") == (1, 100)
    assert building_range("42") == (42, 42)
    for bad in ["0-5", "9-3", "a-b", ""]:
        with pytest.raises(argparse.ArgumentTypeError, match=r"range|building"):
            building_range(bad)


def test_it_defaults_to_one_alarm_every_ten_seconds_like_the_seed():
    options = parse_options([])

    assert (options.interval, options.burst, options.count, options.buildings) == (10.0, 1, 0, (1, 100))
    assert parse_options(["--rate", "4"]).interval == 0.25


def test_it_stops_on_a_bad_option_with_a_message(capsys):
    assert "--burst must be at least 1" in refusal(capsys, "--burst", "0")


def test_it_keeps_todays_independent_alarms_unless_lifecycles_are_asked_for():
    options = parse_options([])

    assert (options.lifecycle, options.cleared_subject, options.flood_size) == ("none", None, 0)


def test_it_puts_the_clears_beside_the_raises_subject():
    assert parse_options(["--lifecycle", "points"]).cleared_subject == "alarm.cleared"
    assert parse_options(["--lifecycle", "points", "--subject", "test.a1.created"]).cleared_subject == "test.a1.cleared"
    given = parse_options(["--lifecycle", "points", "--subject", "raw", "--cleared-subject", "raw.clear"])
    assert given.cleared_subject == "raw.clear"


def test_its_flood_defaults_to_200_alarms_within_a_minute():
    options = parse_options(["--flood"])
    assert (options.flood_size, options.flood_seconds) == (200, 60.0)
    options = parse_options(["--flood", "--flood-size", "30", "--flood-seconds", "5"])
    assert (options.flood_size, options.flood_seconds) == (30, 5.0)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--chattering", "0.1"], "--chattering needs --lifecycle points"),
        (["--cleared-subject", "alarm.cleared"], "--cleared-subject needs --lifecycle points"),
        (["--lifecycle", "points", "--subject", "alarms"], "does not end in .created: give --cleared-subject"),
        (["--lifecycle", "points", "--chattering", "1.5"], "'1.5' must be from 0 to 1"),
        (["--lifecycle", "points", "--chattering", "some"], "'some' is not a number"),
        (["--lifecycle", "cycles"], "invalid choice: 'cycles'"),
        (["--flood-size", "10"], "--flood-size needs --flood"),
        (["--flood-seconds", "10"], "--flood-seconds needs --flood"),
        (["--flood", "--flood-size", "0"], "--flood-size must be at least 1"),
        (["--flood", "--flood-seconds", "0"], "--flood-seconds must be more than 0"),
        (["--flood", "--flood-seconds", "-1"], "'-1' must not be negative"),
    ],
)
def test_it_refuses_lifecycle_and_flood_options_that_cannot_work(capsys, argv, message):
    assert message in refusal(capsys, *argv)
