"""Django's SQLite backend, with one difference: a write transaction first takes an
exclusive lock on a file beside the database, so writers queue on the kernel instead of
on SQLite's busy handler.

SQLite lets one writer in at a time. A writer that finds the database locked sleeps in
SQLite's busy handler — 1, 2, 5, 10 … 100 ms at a time — and tries again; under load the
lock is mostly free while every waiter sleeps, so throughput falls and the slowest
requests wait hundreds of milliseconds. Here the threads of a process queue on a
``threading.Lock``, which wakes the next one the moment it is free, and one thread a
process at a time tries ``flock`` of ``<database>-writer.lock`` every half millisecond
(every 5 ms after 100 ms): a lock another process frees is taken within half a
millisecond. It is held from BEGIN to COMMIT or ROLLBACK. A waiter gives up after the
database's ``timeout`` with the error SQLite would have given.

Only transactions opened by ``atomic`` (``BEGIN IMMEDIATE``) take the lock; a single
statement in autocommit still meets the busy handler, as before. The kernel drops the
file lock of a process that dies, so a killed writer frees the queue.

Checkpoints. SQLite copies the write-ahead log into the database (a checkpoint, with
its ``fsync``) inside the COMMIT that takes the log past 1,000 pages: in the writers'
turn, so every writer waits on it — about a tenth of a registration's turn, measured.
Here a process checkpoints after every ``CHECKPOINT_EVERY`` of its commits, once its
turn is over (``PASSIVE``: SQLite's own kind, which waits on nobody and lets writers go
on); SQLite's own is kept for a log past ``AUTOCHECKPOINT_PAGES`` (a large import's).
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import sqlite3
import threading
import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base

# The statements' converted texts kept per process; past this many, the cache starts over
# (an application's statements are a few hundred; this bounds an unusual workload's).
CONVERTED_MAX = 2_000
_converted: dict[str, str] = {}

_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()
# Between tries of the file lock while another process writes: at first every half
# millisecond (a registration holds it for a few), after 100 ms every 5 ms.
POLL_S, POLL_FAST, POLL_SLOW_S = 0.0005, 200, 0.005


# After this many commits of a process, it checkpoints (a registration writes about 30
# pages of log: two processes keep the log near SQLite's 1,000 pages).
CHECKPOINT_EVERY = 16
AUTOCHECKPOINT_PAGES = 10_000
_commits = itertools.count(1)


def _process_lock(path: str) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault(path, threading.Lock())


class CursorWrapper(base.SQLiteCursorWrapper):
    """Django's cursor, with each statement's ``?`` form kept for the next run of it."""

    def convert_query(self, query, *, param_names=None):
        if param_names is not None:  # "pyformat" style: Django's, as it is
            return super().convert_query(query, param_names=param_names)
        found = _converted.get(query)
        if found is None:
            if len(_converted) >= CONVERTED_MAX:
                _converted.clear()
            found = _converted[query] = super().convert_query(query)
        return found


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_file: int | None = None
    _writer_lock: threading.Lock | None = None

    def create_cursor(self, name=None):
        return self.connection.cursor(factory=CursorWrapper)

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        connection.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        return connection

    def _writer_path(self) -> str:
        return f"{self.settings_dict['NAME']}-writer.lock"

    def _start_transaction_under_autocommit(self):
        if not self.is_in_memory_db():
            self._writer_acquire()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._writer_release()
            raise

    def _writer_acquire(self) -> None:
        timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
        path = self._writer_path()
        lock = _process_lock(path)
        deadline = time.monotonic() + timeout
        if not lock.acquire(timeout=timeout):
            raise OperationalError("database is locked")
        try:
            try:
                handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:  # e.g. left behind by another user: say which file
                raise OperationalError(f"cannot open the writers' lock {path}: {exc}") from exc
            try:
                tries = 0
                while True:
                    try:
                        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            raise OperationalError("database is locked") from None
                        # A long wait (a bulk import writing) is polled less often.
                        time.sleep(POLL_S if tries < POLL_FAST else POLL_SLOW_S)
                        tries += 1
            except BaseException:
                os.close(handle)
                raise
        except BaseException:
            lock.release()
            raise
        self._writer_file, self._writer_lock = handle, lock

    def _writer_release(self) -> None:
        handle, lock = self._writer_file, self._writer_lock
        self._writer_file = self._writer_lock = None
        if handle is not None:
            os.close(handle)  # closing the descriptor drops the flock
        if lock is not None:
            lock.release()

    def _commit(self):
        try:
            done = super()._commit()  # type: ignore[misc]
        except BaseException:
            # A COMMIT SQLite refused (a deferred foreign key) leaves the transaction
            # open until the rollback that follows: the turn is kept until then.
            if self.connection is None or not self.connection.in_transaction:
                self._writer_release()
            raise
        self._writer_release()
        if not next(_commits) % CHECKPOINT_EVERY and not self.is_in_memory_db():
            self._checkpoint()
        return done

    def _checkpoint(self) -> None:
        """Copy the log into the database now that the writers' turn is free. A
        checkpoint that cannot run (another one running) is left to the next."""
        with contextlib.suppress(sqlite3.OperationalError):
            self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _rollback(self):
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._writer_release()

    def _close(self):
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._writer_release()
