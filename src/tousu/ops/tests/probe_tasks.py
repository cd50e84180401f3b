"""A task for the shared-queue test: it notes each run in a file (one line, appended)."""

from __future__ import annotations

import os
import time

from django_tasks import task


@task()
def note_run(number: int, path: str) -> int:
    time.sleep(0.05)  # a little work, so that both workers get a share of the queue
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{number} {os.getpid()}\n".encode("ascii"))
    finally:
        os.close(fd)
    return number
