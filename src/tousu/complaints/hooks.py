"""What the apps above complaints hear of a complaint's life, without complaints naming
them: the emergency response weighs its plan's triggers when a complaint is registered
or the engine changes it. A hook runs inside the transaction of the change, so what it
writes (an incident, its notices) lands with the change or not at all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

# hook(complaint=…, what=…, actor=…, now=…); what is "registered" or "changed".
Hook = Callable[..., None]
_hooks: list[Hook] = []


def on_complaint(hook: Hook) -> Hook:
    """Register ``hook`` (once; an app's ``ready`` does it)."""
    if hook not in _hooks:
        _hooks.append(hook)
    return hook


def complaint_happened(*, complaint: Any, what: str, actor: Any, now: datetime) -> None:
    for hook in _hooks:
        hook(complaint=complaint, what=what, actor=actor, now=now)
