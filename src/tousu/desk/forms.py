"""The desk's registration form: the staff register form cut down to what a call needs,
in the order a call goes (the caller's number first)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tousu.complaints.choices import Channel
from tousu.complaints.forms import ComplaintRegisterForm, ServiceChoiceField, choice_field
from tousu.complaints.services import plan_revision_current

# Doors the complainant uses alone (the portal, partner systems, imports): a desk
# registration is never one of them.
NOT_AT_THE_DESK = frozenset({Channel.WEB, Channel.API, Channel.IMPORT})
TITLE_LENGTH = 30

# Field → access key (Alt+key in most browsers), shown beside the label.
ACCESS_KEYS = {
    "complainant_phone": "p",
    "category": "c",
    "complainant_name": "n",
    "description": "w",
}


class DeskRegisterForm(ComplaintRegisterForm):
    """Few required fields (category, what happened, the caller's name and a way to reach
    them); the title defaults to the start of what happened, the channel to the phone."""

    # The parent form fills its choices; a desk registration starts in the clerk's own.
    department = ServiceChoiceField(required=False, widget=forms.HiddenInput)
    # Left to the complaint's page: who else was involved, injuries, the media, the
    # confidentiality flag, the ID number and evidence files.
    LEFT_OUT = (
        "persons_involved",
        "people_injured",
        "media_involved",
        "confidential",
        "complainant_id_number",
        "attachments",
    )
    field_order = [
        "complainant_phone",
        "category",
        "complainant_name",
        "complainant_email",
        "description",
        "title",
        "channel",
        "severity",
        "nature",
        "occurred_at",
        "occurred_place",
        "merchant",
        "product",
        "amount_involved",
        "complainant_address",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.LEFT_OUT:
            del self.fields[name]
        title = self.fields["title"].widget.attrs
        title.pop("required", None)
        title.pop("aria-required", None)
        revision = plan_revision_current()
        accepted = list(revision.plan_model.channels) if revision else list(Channel.values)
        labels = dict(Channel.choices)
        channels = [(c, labels.get(c, c)) for c in accepted if c not in NOT_AT_THE_DESK]
        choice_field(self, "channel").choices = channels
        keys = [key for key, _label in channels]
        self.fields["channel"].initial = Channel.PHONE if Channel.PHONE in keys else keys[0]
        self.fields["title"].help_text = _("Left empty: the start of what happened.")
        self.fields["complainant_phone"].label = _("Caller's phone number")
        self.fields["description"].widget.attrs["rows"] = 4
        phone = self.fields["complainant_phone"].widget.attrs
        phone.update(
            {"inputmode": "tel", "autocomplete": "off", "autofocus": True, "maxlength": 32}
        )
        for name, key in ACCESS_KEYS.items():
            self.fields[name].widget.attrs["accesskey"] = key

    def clean(self):
        data = super().clean() or self.cleaned_data
        if not (data.get("title") or "").strip():
            first = next(
                (
                    line.strip()
                    for line in (data.get("description") or "").splitlines()
                    if line.strip()
                ),
                "",
            )
            data["title"] = first[:TITLE_LENGTH]
        return data

    def add_service_errors(self, field_errors: dict[str, list[str]]) -> None:
        # A title left empty takes the start of what happened: when that is missing too,
        # the error belongs there alone.
        typed = (self.data.get("title") or "").strip()
        if not typed and "description" in field_errors:
            field_errors = {k: v for k, v in field_errors.items() if k != "title"}
        super().add_service_errors(field_errors)

    def focus_after_lookup(self) -> None:
        """After a look-up the call goes on at the category."""
        self.fields["complainant_phone"].widget.attrs.pop("autofocus", None)
        self.fields["category"].widget.attrs["autofocus"] = True

    def focus_first_error(self) -> None:
        names = [name for name in self.fields if name in self.errors]
        if names:
            self.fields["complainant_phone"].widget.attrs.pop("autofocus", None)
            self.fields[names[0]].widget.attrs["autofocus"] = True
