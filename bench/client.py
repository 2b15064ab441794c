"""``python -m bench.client KIND JSON``: run one async load generator in a process of its own.

The benchmarks start these as children so that their CPU is measured apart from the
system's (see ``children``). The last line printed is the result, one JSON object.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys

# KIND -> "module:coroutine function"; an unknown kind is an error, not a silent no-op.
CLIENTS = {
    "request-reply": "bench.request_reply:send_requests",
    "alarm-publish": "bench.alarm_ingest:publish_alarms",
    "alarm-watch": "bench.alarm_live:watch_alarms",
}


def main(argv: list[str]) -> int:
    kind, params = argv[0], json.loads(argv[1])
    if kind not in CLIENTS:
        raise SystemExit(f"unknown client {kind!r}; known: {', '.join(CLIENTS)}")
    module_name, function_name = CLIENTS[kind].split(":")
    function = getattr(importlib.import_module(module_name), function_name)
    result = asyncio.run(function(params))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
