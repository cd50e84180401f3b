"""Who acts on a case besides staff: the complainant and the system (the deadline
worker, a plan trigger, an import). Services, the engine and the audit log take any of
these as ``actor``; the timeline says which (``by``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Actor(Protocol):
    """Whoever acts: a staff ``User``, a ``ComplainantActor`` or a ``SystemActor``.

    What services, the engine and the audit log may ask of any of them. A protocol rather
    than a union, so that core names no app's model (staff users live in accounts).
    """

    @property
    def pk(self) -> int | None: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def department_id(self) -> int | None: ...

    @property
    def display_name(self) -> str: ...

    def role_codes(self) -> frozenset[str]: ...

    def has_role(self, *roles: str) -> bool: ...


@dataclass(frozen=True)
class SystemActor:
    """The system acting on its own: ``name`` is worker, trigger or import; or a door
    through which a complaint came in without staff (portal, email, api)."""

    name: str
    pk: None = None
    is_active: bool = True
    department_id: None = None

    @property
    def display_name(self) -> str:
        return self.name

    def role_codes(self) -> frozenset[str]:
        return frozenset()

    def has_role(self, *roles: str) -> bool:
        return False


@dataclass(frozen=True)
class ComplainantActor:
    """The complainant acting on their own complaint (the public portal): plays the plan
    role ``complainant`` on that complaint only, and no staff role anywhere."""

    complainant_id: int
    pk: None = None
    is_active: bool = True
    department_id: None = None
    name: str = "complainant"

    @property
    def display_name(self) -> str:
        return self.name

    def role_codes(self) -> frozenset[str]:
        return frozenset()

    def has_role(self, *roles: str) -> bool:
        return False


WORKER = SystemActor("worker")
TRIGGER = SystemActor("trigger")
IMPORT = SystemActor("import")
# Doors: a complaint registered through one of these has no staff first contact.
PORTAL = SystemActor("portal")
MAIL = SystemActor("email")
INBOUND = SystemActor("api")
DOORS = frozenset({PORTAL.name, MAIL.name, INBOUND.name, IMPORT.name})


def is_door(actor: object) -> bool:
    """Whether ``actor`` is a door (portal, email, api, import) rather than a person."""
    return isinstance(actor, SystemActor) and actor.name in DOORS


def actor_by(actor: Actor | None) -> str:
    """What the timeline records as ``by`` for a non-staff actor ("" for staff)."""
    if isinstance(actor, SystemActor):
        return actor.name
    if isinstance(actor, ComplainantActor):
        return "complainant"
    return ""
