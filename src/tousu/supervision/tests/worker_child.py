"""A worker job run in a child process by the worker tests, started on a common signal.

    python -m tousu.supervision.tests.worker_child READY_FD command ARG…
        ``tousu worker ARG…`` (the management command itself)
    python -m tousu.supervision.tests.worker_child READY_FD drain NOW LIMIT
        ``outbox_deliver(now=NOW, limit=LIMIT)`` until a pass finds nothing to claim
    python -m tousu.supervision.tests.worker_child - loop SHIFT INTERVAL
        the worker's own loop (``run_forever``), a pass every INTERVAL seconds, each as of
        the real clock plus SHIFT seconds (deadlines of days come due at once), until
        SIGTERM

The child sets Django up, writes a byte to the pipe READY_FD and blocks reading a line
from standard input, which the parent writes to all children at once, so that they start
their work at the same moment (READY_FD ``-``: no gate, it starts at once). It prints one
JSON line of what it did.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timedelta


def main(argv: list[str]) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    from tousu.notifications.services import outbox_deliver

    ready_fd, mode, *args = argv
    if ready_fd != "-":
        os.write(int(ready_fd), b"r")
        os.close(int(ready_fd))
        if sys.stdin.readline().strip() != "go":  # the parent closed without saying go
            print("no go signal", file=sys.stderr)
            return 3
    if mode == "loop":
        from django.utils import timezone

        from tousu.supervision.worker import run_forever

        shift, interval = timedelta(seconds=float(args[0])), float(args[1])
        run_forever(interval=interval, clock=lambda: timezone.now() + shift)
        print(json.dumps({}))
        return 0
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
