"""Values read once per request: a page and its count that ask the same question (a
search's matching ids) get one answer. Kept in this thread while a request that changes
nothing (GET, HEAD) is handled — ``core.middleware.ConfigOnceMiddleware`` opens the
scope; outside one (a request that writes, the worker, a command, a test calling a
service) nothing is kept, and every call computes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

_T = TypeVar("_T")
_local = threading.local()


@contextmanager
def request_memo_scope() -> Iterator[None]:
    """Keep what ``request_memo`` computes inside the block (nested blocks share it)."""
    if getattr(_local, "memo", None) is not None:
        yield
        return
    _local.memo = {}
    try:
        yield
    finally:
        _local.memo = None


def request_memo(key: Hashable, build: Callable[[], _T]) -> _T:
    """``build()``, once per scope for ``key``."""
    memo: dict[Hashable, Any] | None = getattr(_local, "memo", None)
    if memo is None:
        return build()
    if key not in memo:
        memo[key] = build()
    return memo[key]
