"""``python -m alarms_generator``: publish alarm.created events until SIGTERM (see ``--help``)."""

from __future__ import annotations

import asyncio
import logging
import sys

from alarms_generator.generator import Generator
from alarms_generator.options import parse_options


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("nats").setLevel(logging.CRITICAL)  # its own reconnect noise; ours says it clearly

    async def run() -> int:
        generator = Generator(options)
        generator.install_signal_handlers()
        return await generator.run()

    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
