"""Command-line options of ``python -m alarms_generator``; a bad value stops it with a clear message."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field

from alarms_generator.flood import DEFAULT_SECONDS, DEFAULT_SIZE

DEFAULT_CHATTERING = 0.05


@dataclass(frozen=True)
class Options:
    nats_url: str
    nats_user: str
    nats_password: str = field(repr=False)
    subject: str
    interval: float
    count: int
    burst: int
    buildings: tuple[int, int]
    wire: str
    seed: int | None
    lifecycle: str = "none"
    cleared_subject: str | None = None  # None: no clears (--lifecycle none)
    chattering: float = DEFAULT_CHATTERING
    flood_size: int = 0  # 0: no flood
    flood_seconds: float = DEFAULT_SECONDS


def building_range(text: str) -> tuple[int, int]:
    """``"1-100"`` -> ``(1, 100)``; a single number is a range of one."""
    low, _, high = text.partition("-")
    try:
        first, last = int(low), int(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a building range such as 1-100") from None
    if not 1 <= first <= last:
        raise argparse.ArgumentTypeError(f"{text!r}: building ids start at 1 and the range must not be reversed")
    return first, last


def positive(kind: type, *, most: float | None = None):
    """A parser for a number of ``kind`` that is not negative (nor more than ``most``, when given)."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if most is not None and not 0 <= value <= most:
            raise argparse.ArgumentTypeError(f"{text!r} must be from 0 to {most:g}")
        if value < 0:
            raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
        return value

    return parse


def parse_options(argv: list[str] | None = None) -> Options:
    """Options from the command line, with defaults from the environment where it makes sense."""
    parser = argparse.ArgumentParser(
        prog="python -m alarms_generator",
        description="Publish realistic alarm.created (and with --lifecycle points alarm.cleared) events "
        "through NATS JetStream.",
    )
    parser.add_argument("--nats-url", default=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"))
    # The password comes from NATS_PASSWORD only: a command line is visible to every user of the host.
    parser.add_argument(
        "--nats-user", default=os.environ.get("NATS_USER", ""), help="NATS user (password: NATS_PASSWORD)"
    )
    parser.add_argument("--subject", default="alarm.created", help="subject of the raises (default alarm.created)")
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument("--interval", type=positive(float), default=10.0, help="seconds between ticks (default 10)")
    pace.add_argument("--rate", type=positive(float), help="ticks per second instead of --interval")
    parser.add_argument(
        "--count",
        type=positive(int),
        default=0,
        help="stop after this many alarm.created events, repeats included, clears not (0: never)",
    )
    parser.add_argument("--burst", type=positive(int), default=1, help="new alarms published at once per tick")
    parser.add_argument("--buildings", type=building_range, default=(1, 100), help="building ids, e.g. 1-100")
    parser.add_argument("--wire", choices=["plain", "nestjs"], default="plain", help="nestjs: NestJS event envelope")
    parser.add_argument("--seed", type=int, help="random seed, for repeatable runs (event ids stay unique)")
    add_lifecycle_arguments(parser)
    args = parser.parse_args(argv)
    if args.burst < 1:
        parser.error("--burst must be at least 1")
    check_lifecycle_arguments(parser, args)
    if args.rate is not None and args.rate <= 0:
        parser.error("--rate must be more than 0")
    password = os.environ.get("NATS_PASSWORD", "")
    if password and not args.nats_user:
        parser.error("NATS_PASSWORD is set but no NATS user is (set NATS_USER or --nats-user)")
    interval = 1.0 / args.rate if args.rate else args.interval
    cleared_subject = None if args.lifecycle == "none" else args.cleared_subject or cleared_subject_for(args.subject)
    return Options(
        nats_url=args.nats_url,
        nats_user=args.nats_user,
        nats_password=password,
        subject=args.subject,
        interval=interval,
        count=args.count,
        burst=args.burst,
        buildings=args.buildings,
        wire=args.wire,
        seed=args.seed,
        lifecycle=args.lifecycle,
        cleared_subject=cleared_subject,
        chattering=DEFAULT_CHATTERING if args.chattering is None else args.chattering,
        flood_size=(args.flood_size or DEFAULT_SIZE) if args.flood else 0,
        flood_seconds=args.flood_seconds or DEFAULT_SECONDS,
    )


def add_lifecycle_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``--lifecycle points`` and ``--flood``; unset ones are None, to tell them from defaults."""
    lifecycle = parser.add_argument_group("lifecycles")
    lifecycle.add_argument(
        "--lifecycle",
        choices=["none", "points"],
        default="none",
        help="none (default): independent alarms without a source; points: each building's points raise, "
        "repeat now and then and clear (alarm.cleared) after a random hold, a few of them chatter",
    )
    lifecycle.add_argument(
        "--cleared-subject",
        help="subject of the clears (default: --subject with .created replaced by .cleared, so alarm.cleared)",
    )
    lifecycle.add_argument(
        "--chattering",
        type=positive(float, most=1),
        help=f"share of points that chatter: raise and clear every tick, a few times (default {DEFAULT_CHATTERING})",
    )
    flood = parser.add_argument_group("flood")
    flood.add_argument(
        "--flood", action="store_true", help="start with an alarm flood: --flood-size extra alarms, then normal"
    )
    flood.add_argument("--flood-size", type=positive(int), help=f"alarms in the flood (default {DEFAULT_SIZE})")
    flood.add_argument(
        "--flood-seconds", type=positive(float), help=f"the flood lasts this long (default {DEFAULT_SECONDS:g})"
    )


def check_lifecycle_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse an option that would be silently ignored, and a clears subject that cannot be guessed."""
    if args.lifecycle == "none":
        for name in ("cleared_subject", "chattering"):
            if getattr(args, name) is not None:
                parser.error(f"--{name.replace('_', '-')} needs --lifecycle points")
    elif args.cleared_subject is None and cleared_subject_for(args.subject) is None:
        parser.error(f"--subject {args.subject} does not end in .created: give --cleared-subject")
    if not args.flood:
        for name in ("flood_size", "flood_seconds"):
            if getattr(args, name) is not None:
                parser.error(f"--{name.replace('_', '-')} needs --flood")
    if args.flood_size is not None and args.flood_size < 1:
        parser.error("--flood-size must be at least 1")
    if args.flood_seconds is not None and args.flood_seconds <= 0:
        parser.error("--flood-seconds must be more than 0")


def cleared_subject_for(subject: str) -> str | None:
    """``"alarm.created"`` -> ``"alarm.cleared"``: the clears go beside the raises, on the same stream."""
    prefix, dot, last = subject.rpartition(".")
    return f"{prefix}.cleared" if dot and last == "created" else None
