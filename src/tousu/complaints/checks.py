"""The checks every way in applies to a complaint's data before anything is written:
text fields (length, blank, control characters), plan keys, and the complainant's
contact. Each problem is collected under its field name; ``raise_if_any`` raises one
``InvalidInput`` naming them all."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext as _

from tousu.complaints.validators import (
    EMAIL,
    id_number_is_valid,
    phone_is_valid,
    phone_normalise,
)
from tousu.core.inputs import is_blank, text_problem
from tousu.core.problems import InvalidInput

LIMITS = {
    "title": 120,
    "description": 10_000,
    "occurred_place": 200,
    "persons_involved": 500,
    "merchant": 200,
    "product": 200,
    "complainant.name": 50,
    "complainant.address": 200,
    "complainant.email": 254,
    "note": 2_000,
}
TEXT_FIELDS = ("title", "description", "occurred_place", "persons_involved", "merchant", "product")


@dataclass
class ComplainantData:
    name: str
    phone: str = ""
    id_number: str = ""
    address: str = ""
    email: str = ""


@dataclass
class FieldErrors:
    fields: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)

    def text(self, name: str, value: str, *, required: bool = False) -> str:
        value = (value or "").strip()
        if is_blank(value):
            value = ""  # only spaces or zero-width characters: nothing was written
        problem = text_problem(value)
        if problem:
            self.add(name, problem)
        elif required and not value:
            self.add(name, _("This field is required."))
        elif len(value) > LIMITS[name]:
            self.add(
                name,
                _("At most %(limit)d characters (this has %(count)d).")
                % {"limit": LIMITS[name], "count": len(value)},
            )
        return value

    def choice(self, name: str, value: str, choices: type[models.TextChoices]) -> str:
        if not value:
            self.add(name, _("This field is required."))
        elif value not in choices.values:
            self.add(name, _("Unknown value “%(value)s”.") % {"value": value})
        return value

    def key(self, name: str, value: str, allowed: list[str]) -> str:
        """Like ``choice``, against the keys a plan defines."""
        if not value:
            self.add(name, _("This field is required."))
        elif value not in allowed:
            self.add(name, _("Unknown value “%(value)s”.") % {"value": value})
        return value

    def raise_if_any(self) -> None:
        if self.fields:
            raise InvalidInput(_("Some fields are not valid."), field_errors=self.fields)


def complainant_clean(errors: FieldErrors, data: ComplainantData) -> ComplainantData:
    name = errors.text("complainant.name", data.name, required=True)
    phone = phone_normalise(data.phone or "")
    if phone and not phone_is_valid(phone):
        errors.add("complainant.phone", _("Not a valid mainland phone number."))
    id_number = (data.id_number or "").strip().upper()
    if id_number and not id_number_is_valid(id_number):
        errors.add("complainant.id_number", _("Not a valid 18-digit resident ID number."))
    address = errors.text("complainant.address", data.address)
    email = errors.text("complainant.email", data.email)
    if email and not EMAIL.match(email):
        errors.add("complainant.email", _("Not a valid email address."))
    if not (phone or email or address):
        errors.add("complainant.phone", _("Give at least one way to reach the complainant."))
    return ComplainantData(name, phone, id_number, address, email)
