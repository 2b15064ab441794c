"""Command-line options of ``python -m alarms_generator``; a bad value stops it with a clear message."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field


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


def positive(kind: type):
    """A parser for a number of ``kind`` that is not negative."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
        return value

    return parse


def parse_options(argv: list[str] | None = None) -> Options:
    """Options from the command line, with defaults from the environment where it makes sense."""
    parser = argparse.ArgumentParser(
        prog="python -m alarms_generator", description="Publish realistic alarm.created events through NATS JetStream."
    )
    parser.add_argument("--nats-url", default=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"))
    # The password comes from NATS_PASSWORD only: a command line is visible to every user of the host.
    parser.add_argument(
        "--nats-user", default=os.environ.get("NATS_USER", ""), help="NATS user (password: NATS_PASSWORD)"
    )
    parser.add_argument("--subject", default="alarm.created")
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument("--interval", type=positive(float), default=10.0, help="seconds between ticks (default 10)")
    pace.add_argument("--rate", type=positive(float), help="ticks per second instead of --interval")
    parser.add_argument("--count", type=positive(int), default=0, help="stop after this many alarms (0: never)")
    parser.add_argument("--burst", type=positive(int), default=1, help="alarms published at once per tick")
    parser.add_argument("--buildings", type=building_range, default=(1, 100), help="building ids, e.g. 1-100")
    parser.add_argument("--wire", choices=["plain", "nestjs"], default="plain", help="nestjs: NestJS event envelope")
    parser.add_argument("--seed", type=int, help="random seed, for repeatable runs")
    args = parser.parse_args(argv)
    if args.burst < 1:
        parser.error("--burst must be at least 1")
    if args.rate is not None and args.rate <= 0:
        parser.error("--rate must be more than 0")
    password = os.environ.get("NATS_PASSWORD", "")
    if password and not args.nats_user:
        parser.error("NATS_PASSWORD is set but no NATS user is (set NATS_USER or --nats-user)")
    interval = 1.0 / args.rate if args.rate else args.interval
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
    )
