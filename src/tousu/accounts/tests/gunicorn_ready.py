"""gunicorn settings for the tests' own web processes: once the server listens, it says
so on the pipe the test handed it (no polling, no sleeping)."""

import os


def when_ready(server):
    fd = int(os.environ["TOUSU_TEST_READY_FD"])
    os.write(fd, b"ready\n")
    os.close(fd)
