"""Registering many complaints at once (an import from an earlier system).

``BulkIntake.check`` applies ``complaint_register``'s rules to one row against the
organisation's plan, categories and departments read once. ``complaints_register_bulk``
then writes what ``complaint_register`` writes for each checked row — complainants and
their look-up keys, complaints, search documents, the registration event on each
complaint's own audit chain and, for a case still open, its plan's start and deadline
rows — a few statements per table, inside the caller's transaction, the tracking numbers
of each day taken as one block (``tracking_numbers_take``).

An imported case is not a new complaint arriving, so some of registration is left out:
no receipt or other message to the complainant (they complained long ago, elsewhere),
no repeat check (its penalties) and no emergency triggers. A closed case comes in
archived: in its plan's archived terminal stage, with no deadline rows. An open case
starts its plan as a new one does, its clocks counted from when it was received; a
deadline already past is recorded as breached before the import (no escalation, no
penalty, no message).
"""

from tousu.complaints.bulk.intake import BulkComplaint, BulkIntake
from tousu.complaints.bulk.register import (
    BulkOutcome,
    complaints_register_bulk,
    tracking_numbers_take,
)

__all__ = [
    "BulkComplaint",
    "BulkIntake",
    "BulkOutcome",
    "complaints_register_bulk",
    "tracking_numbers_take",
]
