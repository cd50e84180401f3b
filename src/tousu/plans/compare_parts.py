"""The pieces of a revision comparison: a change, a section, and the walk over two
keyed collections."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass(frozen=True)
class Change:
    kind: str  # added / removed / changed
    subject: str  # what it is about, in the plan's words
    before: str = ""
    after: str = ""


@dataclass
class Section:
    title: str
    changes: list[Change] = field(default_factory=list)


def keyed(old: dict[str, Any], new: dict[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    """(key, old item or None, new item or None) over both, old order then new ones."""
    for key in [*old, *(k for k in new if k not in old)]:
        yield key, old.get(key), new.get(key)
