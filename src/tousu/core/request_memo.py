"""Values read once per request: a page and its count that ask the same question (a
search's matching ids) get one answer. Kept in this thread from the request's start to
its end; outside a request (the worker, a command, a test calling a service) nothing is
kept, and every call computes.

Only for reads whose answer the request itself does not change: a request that writes
and then asks again would get the answer from before its write."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

_T = TypeVar("_T")
_local = threading.local()


def request_started(**kwargs: Any) -> None:
    _local.memo = {}


def request_finished(**kwargs: Any) -> None:
    _local.__dict__.pop("memo", None)


def request_memo(key: Hashable, build: Callable[[], _T]) -> _T:
    """``build()``, once per request for ``key``."""
    memo: dict[Hashable, Any] | None = getattr(_local, "memo", None)
    if memo is None:
        return build()
    if key not in memo:
        memo[key] = build()
    return memo[key]
