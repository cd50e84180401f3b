"""A worker job run in a child process by the worker tests, started on a common signal.

    python -m tousu.supervision.tests.worker_child READY GO command ARG…
        ``tousu worker ARG…`` (the management command itself)
    python -m tousu.supervision.tests.worker_child READY GO drain NOW LIMIT
        ``outbox_deliver(now=NOW, limit=LIMIT)`` until a pass finds nothing to claim

The child sets Django up, creates READY, and waits (bounded) for GO to exist, so that two
children start their work at the same moment. It prints one JSON line of what it did.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path

START_TIMEOUT = 60.0


def main(argv: list[str]) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    from tousu.notifications.services import outbox_deliver

    ready, go, mode, *args = argv
    Path(ready).touch()
    deadline = time.monotonic() + START_TIMEOUT
    while not Path(go).exists():
        if time.monotonic() > deadline:
            print("no go signal", file=sys.stderr)
            return 3
        time.sleep(0.01)
    if mode == "command":
        call_command(*args)
        print(json.dumps({}))
        return 0
    if mode == "drain":
        now, limit = datetime.fromisoformat(args[0]), int(args[1])
        totals = {"delivered": 0, "retried": 0, "dead": 0, "passes": 0}
        while True:
            counts = outbox_deliver(now=now, limit=limit)
            if not any(counts.values()):
                break
            totals["passes"] += 1
            for name, count in counts.items():
                totals[name] += count
        print(json.dumps(totals))
        return 0
    print(f"unknown mode {mode!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
